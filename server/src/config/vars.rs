//! The process environment the settings are parsed from: `.env` loaded into it, and the
//! variables the command line reads tidied so that a blank one counts as unset.

use super::{invalid, ConfigError};
use std::collections::BTreeSet;
use std::ffi::{OsStr, OsString};

/// Loads `.env` if present (without overriding the environment), then, for every variable an
/// option of `cmd` or of its subcommands reads, removes it when blank and trims it otherwise.
///
/// A blank variable has always meant "unset" (`FLEET_MASTER_KEY=` in a copied `.env`, or a
/// compose file passing `${FLEET_PUBLIC_URL:-}`), and surrounding spaces were ignored. Clap has
/// no setting for either: it would hand "" to the value parser, which can reject a value but
/// not declare it absent. Tidying the environment once, here, keeps every parser plainly typed
/// and covers every command alike.
///
/// Call it before any other thread exists: it changes the process environment, which threads
/// reading it at the same time (C code calling `getenv`) may not survive.
pub fn prepare_environment(cmd: &clap::Command) -> Result<(), ConfigError> {
    if let Err(err) = dotenvy::dotenv() {
        // A missing .env is normal; a malformed one is reported.
        if !err.not_found() {
            return Err(invalid(format!("The .env file could not be read: {err}.")));
        }
    }
    for name in variables(cmd) {
        let Some(value) = std::env::var_os(&name) else {
            continue;
        };
        match tidy(&value) {
            Tidy::Keep => {}
            Tidy::Unset => std::env::remove_var(&name),
            Tidy::Set(trimmed) => std::env::set_var(&name, trimmed),
        }
    }
    Ok(())
}

/// The variables the options of `cmd` and its subcommands read.
pub fn variables(cmd: &clap::Command) -> BTreeSet<OsString> {
    let mut names: BTreeSet<OsString> = cmd
        .get_arguments()
        .filter_map(|arg| arg.get_env().map(OsStr::to_os_string))
        .collect();
    for sub in cmd.get_subcommands() {
        names.extend(variables(sub));
    }
    names
}

#[derive(Debug, PartialEq, Eq)]
enum Tidy {
    Keep,
    Unset,
    Set(String),
}

fn tidy(value: &OsStr) -> Tidy {
    // Not UTF-8: left for clap, whose message names the variable.
    let Some(text) = value.to_str() else {
        return Tidy::Keep;
    };
    let trimmed = text.trim();
    if trimmed.is_empty() {
        Tidy::Unset
    } else if trimmed.len() < text.len() {
        Tidy::Set(trimmed.to_string())
    } else {
        Tidy::Keep
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_means_unset_and_spaces_are_trimmed() {
        assert_eq!(tidy(OsStr::new("")), Tidy::Unset);
        assert_eq!(tidy(OsStr::new("  \t")), Tidy::Unset);
        assert_eq!(tidy(OsStr::new(" 12 ")), Tidy::Set("12".into()));
        assert_eq!(tidy(OsStr::new("production")), Tidy::Keep);
    }

    #[test]
    fn the_variables_of_subcommands_are_found() {
        let cmd = clap::Command::new("outer")
            .arg(clap::Arg::new("a").long("a").env("OUTER_A"))
            .subcommand(
                clap::Command::new("inner").arg(clap::Arg::new("b").long("b").env("INNER_B")),
            );
        assert_eq!(
            variables(&cmd),
            BTreeSet::from([OsString::from("INNER_B"), OsString::from("OUTER_A")])
        );
    }
}
