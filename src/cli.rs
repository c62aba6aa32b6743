//! Commands, messages and exit codes. The only module that prints.
//!
//! Exit codes: 0 success (no finding to remediate); 1 `run` found at least one finding whose
//! status is `remediate`; 2 bad input (arguments, protocol or data); 3 failure to write output
//! or another internal error.

use std::path::{Path, PathBuf};

/// Print a line to standard output. A closed pipe (`s1557 schema | head`) is not an error: the
/// command's files are already written, so the rest of the text is dropped without a panic.
macro_rules! say {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($t)*);
    }};
}

/// As [`say!`], without the newline.
macro_rules! say_raw {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stdout(), $($t)*);
    }};
}
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::artifact::{self, write};
use crate::data;
use crate::protocol::{self, Protocol};
use crate::report;
use crate::triggers::Status;

/// Success, and no finding calls for remediation.
pub const EXIT_OK: u8 = 0;
/// `run` succeeded and at least one finding's status is `remediate`.
pub const EXIT_REMEDIATE: u8 = 1;
/// The arguments, the protocol or the data are invalid.
pub const EXIT_INPUT: u8 = 2;
/// Output could not be written, or another failure.
pub const EXIT_FAILURE: u8 = 3;
/// `verify`: the artifact was read, and what it states differs from its recomputation.
pub const EXIT_UNVERIFIED: u8 = 4;

#[derive(Parser)]
#[command(
    name = "s1557",
    version,
    about = "Test a clinical decision-support tool for discrimination (45 CFR 92.210)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a protocol: read the data in one pass, compute every metric, comparison and status,
    /// and write artifact.json, metrics.csv and report.md.
    Run {
        /// The protocol file (TOML).
        protocol: PathBuf,
        /// Folder for the outputs.
        #[arg(long, default_value = "s1557-report")]
        out: PathBuf,
        /// Data file to use instead of the protocol's `data.path`.
        #[arg(long)]
        data: Option<PathBuf>,
        /// As-of date of the evidence (YYYY-MM-DD); default the protocol's `data.period_end`,
        /// else today.
        #[arg(long)]
        as_of: Option<String>,
        /// Show small cells in report.md and metrics.csv (an internal report, not to be shared).
        #[arg(long)]
        no_suppress: bool,
        /// An earlier artifact of the tool (last quarter's): each finding is compared with it.
        /// Repeat it with older quarters (up to three in all, under the same protocol) to judge
        /// each finding on up to four quarters pooled too, with its slope and CUSUM.
        #[arg(long)]
        previous: Vec<PathBuf>,
        /// The period the data covers (YYYY-MM-DD..YYYY-MM-DD), instead of the protocol's
        /// `data.period_start` and `data.period_end` (another quarter under the same protocol).
        #[arg(long)]
        period: Option<String>,
        /// Also write shared.json: the findings without the small cells, for a vendor's
        /// submission or the board (docs/shared.md).
        #[arg(long, conflicts_with = "no_suppress")]
        shareable: bool,
    },
    /// Check a protocol and the data it names; report every problem at once.
    Validate {
        protocol: PathBuf,
        /// Data file to use instead of the protocol's `data.path`.
        #[arg(long)]
        data: Option<PathBuf>,
    },
    /// Write a starter protocol from a data file's header and values, for you to edit.
    Init {
        /// The data file (CSV or Parquet).
        #[arg(long)]
        data: PathBuf,
        /// Where to write the protocol; default standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Reduce the rows to a counts submission (format `counts/1`, docs/counts.md): what a vendor
    /// or a site shares instead of rows; `s1557 run --data FILE` reads it.
    Counts {
        /// The protocol file (TOML).
        protocol: PathBuf,
        /// Data file to use instead of the protocol's `data.path`.
        #[arg(long)]
        data: Option<PathBuf>,
        /// The counts file to write: Parquet for a `.parquet` name, else CSV.
        #[arg(long)]
        out: PathBuf,
    },
    /// Print one SQL query that computes the counts submission inside your own engine (Spark,
    /// DuckDB, PostgreSQL, a warehouse), from a table with the protocol's columns.
    Sql {
        /// The protocol file (TOML).
        protocol: PathBuf,
        /// The engine's dialect.
        #[arg(long, value_enum, default_value = "ansi")]
        dialect: crate::sql::Dialect,
        /// The table (or view) holding the rows.
        #[arg(long, default_value = "s1557_input")]
        table: String,
    },
    /// Check a submitted artifact: recompute every number, status and the summary from its own
    /// sufficient statistics (or from the data file) and name every difference.
    Verify {
        /// The artifact (artifact.json).
        artifact: PathBuf,
        /// The clinic's protocol: its hash must equal the artifact's, and it is used to recompute;
        /// default the protocol text the artifact embeds.
        #[arg(long)]
        protocol: Option<PathBuf>,
        /// The data file (rows or counts submission) the artifact was made from: its hash must
        /// match, and the score analyses are recomputed from it too.
        #[arg(long)]
        data: Option<PathBuf>,
        /// A sign-off to check against the artifact; default attestation.json beside it, when
        /// present.
        #[arg(long)]
        attestation: Option<PathBuf>,
        /// The earlier artifacts the trend and the pooled quarters were computed from: their
        /// hashes must match, and both are recomputed.
        #[arg(long)]
        previous: Vec<PathBuf>,
    },
    /// Sign off an artifact: the reviewer's decision, written to attestation.json beside it and
    /// bound to the artifact's SHA-256 (the artifact itself is not changed). The artifact must
    /// verify first.
    Attest {
        /// The artifact (artifact.json).
        artifact: PathBuf,
        /// Who reviewed the findings.
        #[arg(long)]
        reviewer: String,
        /// The reviewer's role (e.g. "Compliance officer").
        #[arg(long)]
        role: String,
        /// What the reviewer decided about the tool.
        #[arg(long, value_enum)]
        decision: artifact::signoff::Decision,
        /// Why, in a sentence or two.
        #[arg(long)]
        rationale: String,
        /// The date of the sign-off (YYYY-MM-DD); default today.
        #[arg(long)]
        date: Option<String>,
        /// Replace an existing sign-off of this artifact.
        #[arg(long)]
        replace: bool,
    },
    /// Record an action taken on a finding, or an update of it, in actions.json beside the
    /// artifact (bound to its SHA-256; every update kept).
    Action {
        /// The artifact (artifact.json) whose finding is acted on.
        artifact: PathBuf,
        /// The finding's id, as in the artifact (`attribute/group/metric`).
        #[arg(long)]
        finding: String,
        /// The action taken (needed for a new action).
        #[arg(long)]
        taken: Option<String>,
        /// Who owns it (needed for a new action).
        #[arg(long)]
        owner: Option<String>,
        /// When it is due, YYYY-MM-DD (needed for a new action).
        #[arg(long)]
        due: Option<String>,
        /// Where it stands.
        #[arg(long, value_enum, default_value = "open")]
        status: artifact::actions::ActionStatus,
        /// The evidence of its effect, or a note on this update.
        #[arg(long)]
        evidence: Option<String>,
        /// The date of this entry (YYYY-MM-DD); default today.
        #[arg(long)]
        date: Option<String>,
    },
    /// Render report.md and metrics.csv again from an artifact (a vendor's, or one signed off or
    /// acted on since): the sign-off and actions log beside it are included when they bind to it.
    Report {
        /// The artifact (artifact.json).
        artifact: PathBuf,
        /// Folder for report.md and metrics.csv; default the artifact's folder.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Also write shared.json: the findings without the small cells.
        #[arg(long)]
        shareable: bool,
    },
    /// The board roll-up: every tool of the clinic's inventory for one quarter, from the tools'
    /// artifacts (each verified, its sign-off and actions checked), as board.html, board.md and
    /// board.csv.
    Board {
        /// The inventory of decision-support tools (TOML, docs/board.md).
        #[arg(long)]
        inventory: PathBuf,
        /// Artifacts, or folders searched for artifact.json.
        #[arg(required = true)]
        artifacts: Vec<PathBuf>,
        /// The quarter reported (`2026-Q4`); default the latest quarter of the artifacts.
        #[arg(long)]
        quarter: Option<String>,
        /// The date the board reads it (YYYY-MM-DD), against which tests and actions are
        /// overdue; default today.
        #[arg(long)]
        as_of: Option<String>,
        /// Folder for the board outputs.
        #[arg(long, default_value = "board")]
        out: PathBuf,
    },
    /// Print the JSON Schema of artifact.json.
    Schema,
    /// Plan before the data: for a quarter of N patients, the gap each comparison could detect,
    /// the cases at which a group with no gap would pass, and the quarters to pool for it.
    /// Group shares and case mix come from an earlier artifact (--from) or the protocol's data.
    Plan {
        protocol: PathBuf,
        /// Patients expected in a quarter.
        #[arg(long)]
        patients: u64,
        /// An earlier artifact under the protocol, whose counts give the shares and case mix.
        #[arg(long, conflicts_with = "data")]
        from: Option<PathBuf>,
        /// Data file to use instead of the protocol's `data.path`.
        #[arg(long)]
        data: Option<PathBuf>,
    },
    /// Write the synthetic example data set (deterministic for a seed).
    Generate {
        /// Rows to write.
        #[arg(long, default_value_t = 30_000)]
        rows: u64,
        /// Random seed.
        #[arg(long, default_value_t = 1557)]
        seed: u64,
        /// The CSV file to write.
        #[arg(long)]
        out: PathBuf,
        /// Scale of the injected disparities (1: as shipped; 0.3: a later quarter after
        /// remediation).
        #[arg(long, default_value_t = 1.0)]
        disparity: f64,
    },
}

/// A failure with its exit code.
struct Failure {
    code: u8,
    message: String,
}

impl Failure {
    fn input(message: impl ToString) -> Failure {
        Failure {
            code: EXIT_INPUT,
            message: message.to_string(),
        }
    }
    fn output(path: &Path, e: impl std::fmt::Display) -> Failure {
        Failure {
            code: EXIT_FAILURE,
            message: format!("cannot write `{}`: {e}", path.display()),
        }
    }
}

/// Entry point of the binary.
pub fn main() -> ExitCode {
    artifact::cleanup::install();
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { EXIT_INPUT } else { EXIT_OK });
        }
    };
    let result = match cli.command {
        Command::Run {
            protocol,
            out,
            data,
            as_of,
            no_suppress,
            previous,
            period,
            shareable,
        } => run(
            &protocol,
            &out,
            data.as_deref(),
            (as_of.as_deref(), period.as_deref()),
            (!no_suppress, shareable),
            &previous,
        ),
        Command::Validate { protocol, data } => validate(&protocol, data.as_deref()),
        Command::Init { data, out } => init(&data, out.as_deref()),
        Command::Counts {
            protocol,
            data,
            out,
        } => counts(&protocol, data.as_deref(), &out),
        Command::Sql {
            protocol,
            dialect,
            table,
        } => load_protocol(&protocol).and_then(|p| {
            if let Some((what, hint)) = data::counts::cannot_carry(&p).first() {
                return Err(Failure::input(format!(
                    "`{}`: {what}\n  hint: {hint}",
                    protocol.display()
                )));
            }
            say_raw!("{}", crate::sql::query(&p, dialect, &table));
            Ok(EXIT_OK)
        }),
        Command::Verify {
            artifact,
            protocol,
            data,
            attestation,
            previous,
        } => verify(
            &artifact,
            protocol.as_deref(),
            data.as_deref(),
            attestation.as_deref(),
            &previous,
        ),
        Command::Attest {
            artifact,
            reviewer,
            role,
            decision,
            rationale,
            date,
            replace,
        } => attest(
            &artifact,
            (&reviewer, &role),
            decision,
            &rationale,
            date.as_deref(),
            replace,
        ),
        Command::Action {
            artifact,
            finding,
            taken,
            owner,
            due,
            status,
            evidence,
            date,
        } => action(
            &artifact,
            &finding,
            (taken.as_deref(), owner.as_deref(), due.as_deref()),
            status,
            evidence.as_deref(),
            date.as_deref(),
        ),
        Command::Report {
            artifact,
            out,
            shareable,
        } => render(&artifact, out.as_deref(), shareable),
        Command::Schema => {
            say_raw!("{}", artifact::schema_json());
            Ok(EXIT_OK)
        }
        Command::Plan {
            protocol,
            patients,
            from,
            data,
        } => plan(&protocol, patients, from.as_deref(), data.as_deref()),
        Command::Board {
            inventory,
            artifacts,
            quarter,
            as_of,
            out,
        } => board(
            &inventory,
            &artifacts,
            quarter.as_deref(),
            as_of.as_deref(),
            &out,
        ),
        Command::Generate {
            rows,
            seed,
            out,
            disparity,
        } => crate::generate::write_example(&out, rows, seed, disparity)
            .map(|()| {
                say!("wrote {} rows to {}", rows, out.display());
                EXIT_OK
            })
            .map_err(|e| Failure::output(&out, e)),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(f) => {
            eprintln!("error: {}", f.message);
            ExitCode::from(f.code)
        }
    }
}

fn load_protocol(path: &Path) -> Result<Protocol, Failure> {
    protocol::load(path).map_err(|e| match e {
        protocol::ProtocolError::Io(io) => {
            Failure::input(format!("cannot read protocol `{}`: {io}", path.display()))
        }
        other => Failure::input(other),
    })
}

fn run(
    protocol_path: &Path,
    out: &Path,
    data: Option<&Path>,
    (as_of, period): (Option<&str>, Option<&str>),
    (suppress, shareable): (bool, bool),
    previous: &[PathBuf],
) -> Result<u8, Failure> {
    let mut protocol = load_protocol(protocol_path)?;
    if let Some(p) = period {
        let (start, end) = period_arg(p)?;
        protocol.data.period_start = Some(start);
        protocol.data.period_end = Some(end);
    }
    let (previous, earlier) = earlier_artifacts(previous)?;
    if let Some(p) = &previous {
        if p.artifact.protocol.sha256 != protocol.sha256 {
            eprintln!(
                "warning: the previous artifact was made under another protocol (version {}, sha256 {}): its findings are compared, and the trend says the protocol changed",
                p.artifact.protocol.version, p.artifact.protocol.sha256
            );
        }
    }
    if protocol.triggers.is_empty() {
        eprintln!(
            "warning: `{}` has no [[triggers]]: every finding will be `not_assessed`",
            protocol_path.display()
        );
    }
    let as_of = match as_of {
        Some(s) => date_arg("--as-of", s)?,
        None => protocol
            .data
            .period_end
            .unwrap_or_else(|| chrono::Utc::now().date_naive()),
    };
    let loaded = data::load(&protocol, data).map_err(Failure::input)?;
    let art = crate::assemble::assemble(
        &protocol,
        &loaded,
        &artifact::RunContext {
            as_of,
            suppress,
            previous,
            earlier,
        },
    );
    let json = artifact::to_json(&art);
    let human = report::human_files(&art, &report::Beside::default());
    let mut files: Vec<(&str, &[u8])> = vec![("artifact.json", json.as_bytes())];
    files.extend(human.iter().map(|(n, b)| (n.as_str(), b.as_slice())));
    let shared = shareable.then(|| artifact::shared::to_json(&artifact::shared::shared(&art)));
    if let Some(s) = &shared {
        files.push(("shared.json", s.as_bytes()));
    }
    write::write_bundle(out, &files).map_err(|e| Failure::output(out, e))?;
    remove_stale_figures(out, &files);
    let s = &art.summary;
    say!(
        "{}: {} cases; {} remediate, {} monitor, {} insufficient data, {} pass, {} not assessed",
        art.tool.name,
        art.data.cases,
        s.remediate,
        s.monitor,
        s.insufficient_data,
        s.pass,
        s.not_assessed
    );
    say!(
        "wrote {}",
        ["artifact.json", "metrics.csv", "report.md", "report.html"]
            .map(|f| out.join(f).display().to_string())
            .join(", ")
    );
    Ok(if s.overall == Status::Remediate {
        EXIT_REMEDIATE
    } else {
        EXIT_OK
    })
}

fn plan(
    protocol_path: &Path,
    patients: u64,
    from: Option<&Path>,
    data: Option<&Path>,
) -> Result<u8, Failure> {
    if patients == 0 {
        return Err(Failure::input("--patients must be at least 1"));
    }
    let protocol = load_protocol(protocol_path)?;
    let (source, counts) = match from {
        Some(p) => {
            let (a, _) = artifact::read(p).map_err(Failure::input)?;
            if a.protocol.sha256 != protocol.sha256 {
                eprintln!(
                    "warning: `{}` was made under another protocol (version {}): the plan takes its attributes and groups as it has them, judged by this protocol's triggers where the names match; check they are this protocol's",
                    p.display(),
                    a.protocol.version
                );
            }
            let what = format!("`{}` ({} cases)", p.display(), a.data.cases);
            (what, a.sufficient_statistics)
        }
        None => {
            let loaded = data::load(&protocol, data).map_err(Failure::input)?;
            let what = format!("the data ({} cases)", loaded.stats.cases);
            (what, loaded.stats.attributes)
        }
    };
    let rows = crate::plan::plan(&protocol, &counts, patients);
    say_raw!(
        "{}",
        crate::plan::markdown(&protocol, &source, patients, &rows)
    );
    Ok(EXIT_OK)
}

fn counts(protocol_path: &Path, data: Option<&Path>, out: &Path) -> Result<u8, Failure> {
    let protocol = load_protocol(protocol_path)?;
    let (table, loaded) = data::counts_table(&protocol, data).map_err(Failure::input)?;
    let bytes = match data::format_of(out, None) {
        protocol::Format::Parquet => {
            data::counts::to_parquet(&table).map_err(|e| Failure::output(out, e))?
        }
        protocol::Format::Csv => {
            data::counts::to_csv(&table).map_err(|e| Failure::output(out, e))?
        }
    };
    write::write_file(out, &bytes).map_err(|e| Failure::output(out, e))?;
    say!(
        "wrote {} rows ({} cases) of format `{}` to {}",
        table.rows.len(),
        loaded.stats.cases,
        data::counts::FORMAT,
        out.display()
    );
    Ok(EXIT_OK)
}

/// Figures an earlier run left in `dir/figures` that this one did not write (an attribute since
/// dropped): removed, so the folder holds one run's figures.
fn remove_stale_figures(dir: &Path, written: &[(&str, &[u8])]) {
    let Ok(entries) = std::fs::read_dir(dir.join("figures")) else {
        return;
    };
    for e in entries.flatten() {
        let name = format!("figures/{}", e.file_name().to_string_lossy());
        let ours = name.ends_with(".png") && !name.contains("/.");
        if ours && !written.iter().any(|(n, _)| *n == name) {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

fn render(path: &Path, out: Option<&Path>, shareable: bool) -> Result<u8, Failure> {
    let (a, _) = artifact::read(path).map_err(Failure::input)?;
    let found = artifact::beside::read(path, &a, None).map_err(Failure::input)?;
    let leave_out = |file: &Path| {
        eprintln!(
            "warning: `{}` does not bind to the artifact: left out of the report (run `s1557 verify`)",
            file.display()
        );
    };
    let beside = report::Beside {
        signoff: found.signoff.and_then(|f| {
            if !f.binds() {
                leave_out(&f.file);
            }
            f.binds().then_some(f.value)
        }),
        actions: found.actions.and_then(|f| {
            if !f.binds() {
                leave_out(&f.file);
            }
            f.binds().then_some(f.value)
        }),
    };
    let dir = match out {
        Some(d) => d.to_path_buf(),
        None => path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf),
    };
    let mut human = report::human_files(&a, &beside);
    if shareable {
        let s = artifact::shared::to_json(&artifact::shared::shared(&a));
        human.push(("shared.json".into(), s.into_bytes()));
    }
    let files: Vec<(&str, &[u8])> = human
        .iter()
        .map(|(n, b)| (n.as_str(), b.as_slice()))
        .collect();
    write::write_bundle(&dir, &files).map_err(|e| Failure::output(&dir, e))?;
    remove_stale_figures(&dir, &files);
    say!(
        "wrote {}, {}, {}{}",
        dir.join("report.md").display(),
        dir.join("report.html").display(),
        dir.join("metrics.csv").display(),
        match (&beside.signoff, &beside.actions) {
            (Some(_), Some(_)) => " (with the sign-off and the actions log)",
            (Some(_), None) => " (with the sign-off)",
            (None, Some(_)) => " (with the actions log)",
            (None, None) => "",
        }
    );
    Ok(EXIT_OK)
}

/// `--period START..END`: the period another extract covers.
fn period_arg(p: &str) -> Result<(chrono::NaiveDate, chrono::NaiveDate), Failure> {
    let (start, end) = p.split_once("..").ok_or_else(|| {
        Failure::input(format!(
            "--period `{p}` is not START..END (YYYY-MM-DD..YYYY-MM-DD)"
        ))
    })?;
    let (start, end) = (date_arg("--period", start)?, date_arg("--period", end)?);
    if start > end {
        return Err(Failure::input(format!(
            "--period `{p}` ends before it starts"
        )));
    }
    Ok((start, end))
}

fn date_arg(flag: &str, s: &str) -> Result<chrono::NaiveDate, Failure> {
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| Failure::input(format!("{flag} `{s}` is not a date; expected YYYY-MM-DD")))
}

fn action(
    path: &Path,
    finding: &str,
    (taken, owner, due): (Option<&str>, Option<&str>, Option<&str>),
    status: artifact::actions::ActionStatus,
    evidence: Option<&str>,
    date: Option<&str>,
) -> Result<u8, Failure> {
    use artifact::actions;
    let date = match date {
        Some(s) => date_arg("--date", s)?,
        None => chrono::Utc::now().date_naive(),
    };
    let due = due.map(|s| date_arg("--due", s)).transpose()?;
    let (stated, _) = artifact::read(path).map_err(Failure::input)?;
    let bytes = fs_err::read(path).map_err(Failure::input)?;
    let sha256 = protocol::sha256_hex(&bytes);
    let file = crate::assemble::file_name(path);
    let out = path.with_file_name(actions::FILE);
    let log = if out.is_file() {
        let log = actions::read(&out).map_err(Failure::input)?;
        if log.artifact_sha256 != sha256 {
            return Err(Failure::input(format!(
                "`{}` belongs to another artifact (sha256 {}), not `{}` (sha256 {sha256})",
                out.display(),
                log.artifact_sha256,
                path.display()
            )));
        }
        log
    } else {
        actions::new_log(&stated, &file, &sha256)
    };
    let entry = actions::Entry {
        finding,
        taken,
        owner,
        due,
        status,
        evidence,
        date,
    };
    let log = actions::apply(log, &stated, &entry).map_err(Failure::input)?;
    write::write_file(&out, actions::to_json(&log).as_bytes())
        .map_err(|e| Failure::output(&out, e))?;
    let a = log.actions.iter().find(|x| x.finding == finding);
    say!(
        "recorded: `{finding}` {} (owner {}, due {}); wrote {}",
        serde_json::to_value(status)
            .ok()
            .and_then(|v| v.as_str().map(|x| x.replace('_', " ")))
            .unwrap_or_default(),
        a.map_or("", |x| x.owner.as_str()),
        a.map_or("", |x| x.due.as_str()),
        out.display()
    );
    Ok(EXIT_OK)
}

/// An earlier artifact read for comparison, with its file name and the SHA-256 of its bytes.
/// The earlier artifacts given: the most recent (by period end, then as-of date) for the trend,
/// and the others, for the pooled quarters.
fn earlier_artifacts(
    paths: &[PathBuf],
) -> Result<
    (
        Option<artifact::PreviousArtifact>,
        Vec<artifact::PreviousArtifact>,
    ),
    Failure,
> {
    let mut all = paths
        .iter()
        .map(|p| previous_artifact(p))
        .collect::<Result<Vec<_>, _>>()?;
    all.sort_by(|a, b| {
        let key = |x: &artifact::PreviousArtifact| {
            (
                x.artifact.data.period_end.clone(),
                x.artifact.run.as_of.clone(),
            )
        };
        key(b).cmp(&key(a))
    });
    let mut all = all.into_iter();
    Ok((all.next(), all.collect()))
}

fn previous_artifact(path: &Path) -> Result<artifact::PreviousArtifact, Failure> {
    let (a, _) = artifact::read(path).map_err(Failure::input)?;
    let bytes = fs_err::read(path).map_err(Failure::input)?;
    Ok(artifact::PreviousArtifact {
        artifact: a,
        file: crate::assemble::file_name(path),
        sha256: protocol::sha256_hex(&bytes),
    })
}

/// The protocol an artifact is verified under: the clinic's, else the text the artifact embeds.
fn verifying_protocol(
    path: &Path,
    stated: &artifact::Artifact,
    protocol: Option<&Path>,
) -> Result<Protocol, Failure> {
    match (protocol, &stated.protocol.text) {
        (Some(p), _) => load_protocol(p),
        (None, Some(text)) => {
            let at = path.with_file_name(&stated.protocol.file);
            protocol::parse(text, &at).map_err(|e| {
                Failure::input(format!(
                    "the protocol embedded in `{}` does not parse: {e}",
                    path.display()
                ))
            })
        }
        (None, None) => Err(Failure::input(format!(
            "`{}` (schema {}) carries no protocol text: pass --protocol",
            path.display(),
            stated.schema_version
        ))),
    }
}

fn attest(
    path: &Path,
    who: (&str, &str),
    decision: artifact::signoff::Decision,
    rationale: &str,
    date: Option<&str>,
    replace: bool,
) -> Result<u8, Failure> {
    for (flag, v) in [
        ("--reviewer", who.0),
        ("--role", who.1),
        ("--rationale", rationale),
    ] {
        if v.trim().is_empty() {
            return Err(Failure::input(format!("{flag} is empty")));
        }
    }
    let date = match date {
        Some(s) => date_arg("--date", s)?,
        None => chrono::Utc::now().date_naive(),
    };
    let (stated, json) = artifact::read(path).map_err(Failure::input)?;
    let protocol = verifying_protocol(path, &stated, None)?;
    let v = crate::verify::verify(&stated, &json, &protocol, None, (None, Vec::new()));
    if !v.mismatches.is_empty() {
        say!(
            "not signed: `{}` does not verify ({} differences; run `s1557 verify` to see them): a sign-off binds only to an artifact that verifies",
            path.display(),
            v.mismatches.len()
        );
        return Ok(EXIT_UNVERIFIED);
    }
    let out = path.with_file_name(artifact::signoff::FILE);
    if out.exists() && !replace {
        return Err(Failure::input(format!(
            "`{}` exists: pass --replace to replace that sign-off",
            out.display()
        )));
    }
    let bytes = fs_err::read(path).map_err(Failure::input)?;
    let file = crate::assemble::file_name(path);
    let s = artifact::signoff::sign(
        &stated,
        &file,
        &protocol::sha256_hex(&bytes),
        who,
        decision,
        rationale.trim(),
        date,
    );
    write::write_file(&out, artifact::signoff::to_json(&s).as_bytes())
        .map_err(|e| Failure::output(&out, e))?;
    say!(
        "signed: {} ({}) {} `{}` on {}; wrote {}",
        s.reviewer,
        s.role,
        match decision {
            artifact::signoff::Decision::Accept => "accepted",
            artifact::signoff::Decision::AcceptWithActions => "accepted with actions",
            artifact::signoff::Decision::Suspend => "suspended",
        },
        s.artifact.tool,
        s.date,
        out.display()
    );
    Ok(EXIT_OK)
}

fn verify(
    path: &Path,
    protocol: Option<&Path>,
    data: Option<&Path>,
    attestation: Option<&Path>,
    previous: &[PathBuf],
) -> Result<u8, Failure> {
    let (stated, json) = artifact::read(path).map_err(Failure::input)?;
    let previous = earlier_artifacts(previous)?;
    let protocol = verifying_protocol(path, &stated, protocol)?;
    let evidence = match data {
        Some(d) => Some(data::load(&protocol, Some(d)).map_err(Failure::input)?),
        None => None,
    };
    let mut v = crate::verify::verify(&stated, &json, &protocol, evidence, previous);
    check_beside(path, &stated, attestation, &mut v)?;
    for n in &v.notes {
        eprintln!("note: {n}");
    }
    if v.mismatches.is_empty() {
        say!(
            "verified: `{}` ({}, {} cases): every result, status and the summary recomputed to {:e} (the notes say what is taken as stated)",
            path.display(),
            stated.tool.name,
            stated.data.cases,
            crate::verify::TOLERANCE
        );
        return Ok(EXIT_OK);
    }
    say!(
        "not verified: `{}`: {} difference{} between what it states and its recomputation",
        path.display(),
        v.mismatches.len(),
        if v.mismatches.len() == 1 { "" } else { "s" }
    );
    const SHOWN: usize = 50;
    for m in v.mismatches.iter().take(SHOWN) {
        say!(
            "  {}: stated {}, recomputed {}",
            m.path,
            m.stated,
            m.recomputed
        );
    }
    if v.mismatches.len() > SHOWN {
        say!("  … and {} more", v.mismatches.len() - SHOWN);
    }
    Ok(EXIT_UNVERIFIED)
}

/// The sign-off and actions log beside the artifact: where they do not bind, the mismatches;
/// where they do, who signed what and where the actions stand, as notes.
fn check_beside(
    path: &Path,
    stated: &artifact::Artifact,
    given: Option<&Path>,
    v: &mut crate::verify::Verification,
) -> Result<(), Failure> {
    use artifact::actions::ActionStatus;
    let found = artifact::beside::read(path, stated, given).map_err(Failure::input)?;
    match &found.signoff {
        None => v
            .notes
            .push("not signed off: no attestation.json beside the artifact".into()),
        Some(f) if f.binds() => v.notes.push(format!(
            "signed off by {} ({}) on {}: {}",
            f.value.reviewer,
            f.value.role,
            f.value.date,
            serde_json::to_value(f.value.decision)
                .ok()
                .and_then(|d| d.as_str().map(str::to_string))
                .unwrap_or_default()
        )),
        Some(_) => {}
    }
    if let Some(f) = found.actions.as_ref().filter(|f| f.binds()) {
        let log = &f.value;
        let count = |s: ActionStatus| log.actions.iter().filter(|x| x.status == s).count();
        v.notes.push(format!(
            "actions: {} recorded ({} open, {} in progress, {} done, {} not effective)",
            log.actions.len(),
            count(ActionStatus::Open),
            count(ActionStatus::InProgress),
            count(ActionStatus::Done),
            count(ActionStatus::NotEffective)
        ));
    }
    let files = [
        found.signoff.map(|f| (f.file, f.unbound)),
        found.actions.map(|f| (f.file, f.unbound)),
    ];
    for (file, unbound) in files.into_iter().flatten() {
        for (place, stated, actual) in unbound {
            v.mismatches.push(crate::verify::Mismatch {
                path: format!("{}: {place}", file.display()),
                stated,
                recomputed: format!("{actual} (the artifact's)"),
            });
        }
    }
    Ok(())
}

fn validate(protocol_path: &Path, data: Option<&Path>) -> Result<u8, Failure> {
    let protocol = load_protocol(protocol_path)?;
    let loaded = data::load(&protocol, data).map_err(Failure::input)?;
    let missing = crate::assemble::record(&protocol).not_recorded;
    if !missing.is_empty() {
        eprintln!(
            "warning: `{}` does not record {} (45 CFR 92.210 asks for them; see docs/record.md): the artifact and the report will say \"not recorded\"",
            protocol_path.display(),
            missing
                .iter()
                .map(|m| format!("`record.{m}`"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    say!(
        "ok: `{}` is valid and `{}` reads as {} cases in {} attributes",
        protocol_path.display(),
        data.map_or_else(|| protocol.data.path.display(), |d| d.display()),
        loaded.stats.cases,
        loaded.stats.attributes.len()
    );
    Ok(EXIT_OK)
}

fn init(data_path: &Path, out: Option<&Path>) -> Result<u8, Failure> {
    if !data_path.is_file() {
        return Err(Failure::input(format!(
            "{}: data file not found",
            data_path.display()
        )));
    }
    let format = data::format_of(data_path, None);
    let nulls: Vec<String> = protocol::DEFAULT_NULL_VALUES.map(String::from).to_vec();
    let mut profiles = data::scan::profile(data_path, format, &nulls, 40).map_err(|e| {
        Failure::input(format!(
            "{}: cannot read the data: {e}",
            data_path.display()
        ))
    })?;
    let mut refused: Vec<String> = profiles
        .iter()
        .filter_map(|p| {
            data::phi::identifier_reason(&p.name)
                .map(|why| format!("column `{}` looks like {why}", p.name))
        })
        .collect();
    // Values that could identify someone never reach the starter protocol; a column of them is
    // named in a warning, as `run` would refuse it.
    for p in &mut profiles {
        let values: Vec<&str> = p.top.iter().filter_map(|(v, _)| v.as_deref()).collect();
        let named = data::phi::identifier_reason(&p.name).is_some();
        let by_value = data::phi::value_reason(&p.name, &values, p.numeric_range.is_some());
        if let (false, Some(kind)) = (named, by_value) {
            refused.push(format!("column `{}` holds {kind}", p.name));
        }
        p.top
            .retain(|(v, _)| v.as_deref().is_none_or(|v| data::phi::shown(v).is_some()));
    }
    let relative = match out.and_then(Path::parent) {
        Some(dir) => relative_path(data_path, dir),
        None => data_path.display().to_string(),
    };
    let text = crate::starter::starter_protocol(&relative, &profiles);
    match out {
        Some(p) => {
            write::write_file(p, text.as_bytes()).map_err(|e| Failure::output(p, e))?;
            eprintln!(
                "wrote {}: edit the lines marked EDIT, then run `s1557 validate {}`",
                p.display(),
                p.display()
            );
        }
        None => say_raw!("{text}"),
    }
    for r in &refused {
        eprintln!("warning: {r}, a direct identifier; drop it before `s1557 run`");
    }
    Ok(EXIT_OK)
}

/// `target` relative to `base` when both are relative paths from the same folder, else absolute.
fn relative_path(target: &Path, base: &Path) -> String {
    let abs = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    let (t, b) = (abs(target), abs(base));
    let tc: Vec<_> = t.components().collect();
    let bc: Vec<_> = b.components().collect();
    let common = tc.iter().zip(&bc).take_while(|(x, y)| x == y).count();
    let mut rel = PathBuf::new();
    for _ in common..bc.len() {
        rel.push("..");
    }
    for c in &tc[common..] {
        rel.push(c);
    }
    rel.display().to_string()
}

fn board(
    inventory: &Path,
    artifacts: &[PathBuf],
    quarter: Option<&str>,
    as_of: Option<&str>,
    out: &Path,
) -> Result<u8, Failure> {
    let as_of = match as_of {
        Some(d) => chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").map_err(|_| {
            Failure::input(format!(
                "--as-of `{}`: expected a date YYYY-MM-DD",
                d.escape_debug()
            ))
        })?,
        None => chrono::Utc::now().date_naive(),
    };
    let quarter = quarter
        .map(|q| {
            crate::board::Quarter::parse(q).ok_or_else(|| {
                Failure::input(format!(
                    "--quarter `{}`: expected YYYY-QN, e.g. 2026-Q4",
                    q.escape_debug()
                ))
            })
        })
        .transpose()?;
    let b = crate::board::collect(inventory, artifacts, as_of, quarter).map_err(Failure::input)?;
    let (md, html, csv) = (
        crate::board::markdown(&b),
        crate::board::html(&b),
        crate::board::csv(&b),
    );
    write::write_bundle(
        out,
        &[
            ("board.md", md.as_bytes()),
            ("board.html", html.as_bytes()),
            ("board.csv", csv.as_bytes()),
        ],
    )
    .map_err(|e| Failure::output(out, e))?;
    // An artifact that does not verify, or cannot be read, is on the board; the exit code says so.
    let unverified = crate::board::view::sources(&b)
        .iter()
        .filter(|r| r.differences > 0)
        .count()
        + b.problems
            .iter()
            .filter(|(_, why)| why.starts_with("cannot be read"))
            .count();
    say!(
        "{}: {} tools, {} artifacts ({} not verified or unreadable); wrote {}/board.md, board.html, board.csv",
        b.quarter,
        b.tools.len(),
        crate::board::view::sources(&b).len(),
        unverified,
        out.display()
    );
    Ok(if unverified > 0 {
        EXIT_UNVERIFIED
    } else {
        EXIT_OK
    })
}
