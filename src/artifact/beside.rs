//! What lies beside an artifact: its sign-off (`attestation.json`) and its actions log
//! (`actions.json`), read once and each checked against the artifact's bytes. `verify` names
//! what does not bind; `report` renders only what does.

use std::path::{Path, PathBuf};

use super::actions::{self, ActionsLog};
use super::signoff::{self, SignOff};
use super::Artifact;

/// One file found beside the artifact, and every place where it does not bind to it:
/// `(field, stated, actual)`.
pub struct Found<T> {
    pub file: PathBuf,
    pub value: T,
    pub unbound: Vec<(String, String, String)>,
}

impl<T> Found<T> {
    pub fn binds(&self) -> bool {
        self.unbound.is_empty()
    }
}

/// The sign-off and actions log of an artifact, where present.
pub struct Beside {
    pub signoff: Option<Found<SignOff>>,
    pub actions: Option<Found<ActionsLog>>,
}

/// Read what lies beside the artifact at `path` (whose content is `a`): the sign-off `given`,
/// else `attestation.json` beside it, and `actions.json` beside it.
pub fn read(path: &Path, a: &Artifact, given: Option<&Path>) -> Result<Beside, String> {
    let bytes = fs_err::read(path).map_err(|e| e.to_string())?;
    let sha256 = crate::protocol::sha256_hex(&bytes);
    let beside = path.with_file_name(signoff::FILE);
    let signoff_file = given
        .map(Path::to_path_buf)
        .or_else(|| beside.is_file().then_some(beside));
    let signoff = match signoff_file {
        Some(file) => {
            let value = signoff::read(&file)?;
            let unbound = signoff::check(&value, a, &sha256)
                .into_iter()
                .map(|u| (u.field.to_string(), u.stated, u.actual))
                .collect();
            Some(Found {
                file,
                value,
                unbound,
            })
        }
        None => None,
    };
    let log_file = path.with_file_name(actions::FILE);
    let actions = if log_file.is_file() {
        let value = actions::read(&log_file)?;
        let unbound = actions::check(&value, a, &sha256);
        Some(Found {
            file: log_file,
            value,
            unbound,
        })
    } else {
        None
    };
    Ok(Beside { signoff, actions })
}
