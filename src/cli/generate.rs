//! `sluice completions SHELL` and `sluice man [COMMAND]`: shell completions and man pages, written
//! from the command line's own definition (clap_complete, clap_mangen), so they never drift from it.

use std::io::Write;

use anyhow::{Context, bail};
use clap::{Args, CommandFactory};

use super::{Cli, Status};

#[derive(Args)]
pub struct CompletionsArgs {
    /// The shell: bash, elvish, fish, powershell or zsh.
    #[arg(value_enum)]
    shell: clap_complete::Shell,
}

#[derive(Args)]
pub struct ManArgs {
    /// A subcommand's page (`sluice-clean(1)`) instead of sluice's.
    #[arg(value_name = "COMMAND")]
    command: Option<String>,
}

pub fn completions(args: CompletionsArgs) -> anyhow::Result<Status> {
    let mut command = Cli::command();
    clap_complete::generate(args.shell, &mut command, "sluice", &mut std::io::stdout());
    Ok(Status::SUCCESS)
}

pub fn man(args: ManArgs) -> anyhow::Result<Status> {
    let root = Cli::command();
    let man = match &args.command {
        None => clap_mangen::Man::new(root),
        // A subcommand's page is titled as man(1) finds it: `man sluice-clean`.
        Some(name) => match root.find_subcommand(name) {
            Some(sub) => clap_mangen::Man::new(sub.clone().bin_name(format!("sluice {name}")))
                .title(format!("sluice-{name}")),
            None => bail!("no command `{name}`"),
        },
    };
    let mut roff = Vec::new();
    man.render(&mut roff)
        .context("cannot render the man page")?;
    std::io::stdout().lock().write_all(&roff)?;
    Ok(Status::SUCCESS)
}
