//! Every command-line flag, in one place (clap derive). `--help`, man-style
//! examples and shell completions all come from these definitions.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

pub const EXIT_CODES: &str = "\
Exit codes:
  0    success
  1    a step failed (or a prerequisite was not met)
  2    usage, parse or parameter error: nothing was run
  3    --check --detailed-exitcode: changes are pending
  130  interrupted (Ctrl-C)";

#[derive(Parser, Debug)]
#[command(
    name = "runbook",
    version,
    about = "Runs setup playbooks written in Rhai against real systems: idempotent, with check mode and secrets kept secret",
    after_help = concat!(
        "Examples:\n",
        "  runbook list\n",
        "  runbook show alation-agent/secrets-manager-iam-user\n",
        "  runbook run examples/hello --set who=operator\n",
        "  runbook run alation-agent/secrets-manager-iam-user --check --diff\n",
        "  runbook eval 'version::at_least(\"1.7.2.4360\", \"1.7.2\")'\n",
        "  runbook eject alation-agent/secrets-manager-iam-user ./site\n\n",
        "Exit codes: 0 success, 1 step failed, 2 usage/parse/parameter error, 3 pending changes (--check --detailed-exitcode), 130 interrupted"
    )
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run a playbook: a bundled name (see `runbook list`) or a path to a .rhai file
    #[command(after_help = concat!(
        "Examples:\n",
        "  runbook run examples/hello\n",
        "  runbook run examples/hello --set who=ops --set times=2\n",
        "  runbook run ./site/my-playbook.rhai --vars site.toml --check --diff\n",
        "  runbook run alation-agent/secrets-manager-iam-user --aws-profile admin --yes --output json\n\n",
        "Parameters come from --set, then --vars, then RUNBOOK_<NAME>, then the default; a required one still\nmissing is asked for on a TTY (hidden for secrets), or is an error without one.\n",
        "A secret parameter is best given with --set name=@FILE, a --vars file or RUNBOOK_<NAME>.\n\n",
        "Exit codes:\n  0 success   1 a step failed   2 usage, parse or parameter error\n  3 --check --detailed-exitcode with pending changes   130 interrupted"
    ))]
    Run(RunArgs),
    /// List the bundled playbooks, one line each with its summary
    #[command(after_help = "Example:\n  runbook list")]
    List,
    /// Show a playbook's summary, parameters and needs without running it
    #[command(
        after_help = "Examples:\n  runbook show examples/hello\n  runbook show ./site/my-playbook.rhai"
    )]
    Show {
        /// Bundled playbook name or path to a .rhai file
        playbook: String,
    },
    /// Evaluate a Rhai snippet with every host module, and print its value
    #[command(after_help = concat!(
        "Examples:\n",
        "  runbook eval 'sts::whoami()'\n",
        "  runbook eval --check 'fs::write(\"/tmp/x\", \"hi\", #{mode: \"600\"})'\n",
        "  runbook eval --file snippet.rhai --set name=value"
    ))]
    Eval(EvalArgs),
    /// Compile scripts without running them; report every error (exit 2 if any)
    #[command(
        after_help = "Examples:\n  runbook check playbooks/alation-agent/*.rhai\n  runbook check site/*.rhai --lib site"
    )]
    Check {
        /// Scripts to check
        #[arg(required = true)]
        paths: Vec<String>,
        /// Folder of site modules for `import` (repeatable; also RUNBOOK_PATH)
        #[arg(long = "lib", value_name = "DIR")]
        lib: Vec<PathBuf>,
    },
    /// Show host and stdlib functions with their signatures and documentation
    #[command(after_help = concat!(
        "Examples:\n",
        "  runbook doc                 every module, one line per function\n",
        "  runbook doc fs              the fs module in full\n",
        "  runbook doc iam::ensure_policy\n",
        "  runbook doc --definitions .rhai-defs   definition files for editors"
    ))]
    Doc {
        /// A module (`fs`), a function (`fs::chmod`) or a global function (`step`)
        name: Option<String>,
        /// Write Rhai definition files (.d.rhai) for editors into DIR
        #[arg(long, value_name = "DIR")]
        definitions: Option<PathBuf>,
        /// Print the full reference as Markdown (what docs/reference.md holds)
        #[arg(long, conflicts_with_all = ["name", "definitions"])]
        markdown: bool,
    },
    /// Interactive shell: explore a host and draft a site script
    #[command(after_help = concat!(
        "Examples:\n",
        "  runbook repl\n",
        "  runbook repl --check --lib ./site\n",
        "  echo 'version::compare(\"1.10\", \"1.9\")' | runbook repl      (scripted: stops at the first error)\n\n",
        "Inside: :help, :doc NAME, :check on|off, :load FILE, :vars, :save FILE, :quit.\n",
        "History: $XDG_STATE_HOME/runbook/history (never lines holding a secret)."
    ))]
    Repl(ReplArgs),
    /// Copy a bundled playbook and the stdlib modules it imports into a folder, to adapt
    #[command(after_help = concat!(
        "Examples:\n",
        "  runbook eject examples/hello ./site\n",
        "  runbook eject alation-agent/secrets-manager-iam-user ./site\n",
        "  runbook run ./site/secrets-manager-iam-user.rhai --check\n",
        "  runbook eject examples/hello ./site --force      (overwrite earlier copies)\n\n",
        "The playbook is written as DIR/<last part of its name>.rhai, each imported stdlib module\n",
        "as DIR/<module>.rhai (mode 0644). Running the copy resolves `import` from DIR first,\n",
        "then the bundled stdlib. Existing files are left alone unless --force is given (exit 2)."
    ))]
    Eject {
        /// Bundled playbook name (see `runbook list`)
        playbook: String,
        /// Folder to copy into (created if missing)
        dir: PathBuf,
        /// Overwrite files that already exist
        #[arg(long)]
        force: bool,
    },
    /// Print a shell completion script
    #[command(
        after_help = "Examples:\n  runbook completions bash > /etc/bash_completion.d/runbook\n  runbook completions zsh > \"${fpath[1]}/_runbook\""
    )]
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Write the manual pages generated from these definitions (for packaging)
    #[command(
        hide = true,
        after_help = "Examples:\n  runbook man | man -l -\n  runbook man target/man      (runbook.1 and runbook-<command>.1 for each command)"
    )]
    Man {
        /// Folder to write the pages into; without it, runbook.1 goes to stdout
        dir: Option<PathBuf>,
    },
}

#[derive(Args, Debug)]
pub struct RunArgs {
    /// Bundled playbook name (e.g. examples/hello) or path to a .rhai file
    pub playbook: String,
    #[command(flatten)]
    pub session: SessionArgs,
    /// In check mode, exit 3 when changes are pending (like `terraform plan`)
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// Fail at once if another run holds the host lock, instead of waiting
    #[arg(long)]
    pub no_wait: bool,
}

#[derive(Args, Debug)]
pub struct EvalArgs {
    /// The Rhai code to evaluate
    #[arg(required_unless_present = "file", conflicts_with = "file")]
    pub code: Option<String>,
    /// Evaluate this file instead
    #[arg(long, short = 'f', value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// Print a string result without quotes (the default when stdout is not a terminal)
    #[arg(long)]
    pub raw: bool,
    #[command(flatten)]
    pub session: SessionArgs,
}

#[derive(Args, Debug)]
pub struct ReplArgs {
    /// Print string results without quotes (the default when stdout is not a terminal)
    #[arg(long)]
    pub raw: bool,
    #[command(flatten)]
    pub session: SessionArgs,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq, Default)]
pub enum OutputFormat {
    #[default]
    Human,
    Json,
}

/// Flags shared by `run`, `eval` and `repl`.
#[derive(Args, Debug, Default)]
pub struct SessionArgs {
    /// Set a parameter (repeatable); NAME=@FILE reads the value from FILE
    #[arg(long = "set", value_name = "NAME=VALUE")]
    pub sets: Vec<String>,
    /// Read parameters from a TOML file
    #[arg(long, value_name = "FILE")]
    pub vars: Option<PathBuf>,
    /// Change nothing: report what would change
    #[arg(long)]
    pub check: bool,
    /// Show before/after diffs of changed content (secrets masked)
    #[arg(long)]
    pub diff: bool,
    /// Output format: human (coloured on a TTY) or json (JSON Lines, see docs/json-output.md)
    #[arg(long, value_enum, default_value = "human")]
    pub output: OutputFormat,
    /// Folder of site modules for `import`, searched before the bundled stdlib (repeatable; also RUNBOOK_PATH, colon-separated)
    #[arg(long = "lib", value_name = "DIR")]
    pub lib: Vec<PathBuf>,
    /// Show more (debug messages)
    #[arg(short, long, conflicts_with = "quiet")]
    pub verbose: bool,
    /// Show less: only changes, warnings and failures
    #[arg(short, long)]
    pub quiet: bool,
    /// No colours (also when NO_COLOR is set)
    #[arg(long)]
    pub no_color: bool,
    /// Answer yes to confirmations (e.g. restarting the Agent's service)
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// AWS profile for IAM and STS calls (default: AWS_PROFILE, then the default chain)
    #[arg(long, value_name = "NAME")]
    pub aws_profile: Option<String>,
    /// AWS region for IAM and STS calls (default: AWS_REGION, then the profile's region)
    #[arg(long, value_name = "REGION", value_parser = region_arg)]
    pub aws_region: Option<String>,
    /// Connect to AWS directly, ignoring HTTPS_PROXY/HTTP_PROXY
    #[arg(long)]
    pub no_proxy: bool,
}

/// `--aws-region`, checked as a `region` parameter is: a typo is a usage
/// error naming the rule, not an endpoint error from the SDK at the first call.
fn region_arg(text: &str) -> Result<String, String> {
    crate::runtime::params::Check::Region
        .check(text)
        .map(|()| text.to_string())
}
