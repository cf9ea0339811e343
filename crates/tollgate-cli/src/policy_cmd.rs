//! `tollgate policy default|check`, and the policy loading that `score` and
//! `simulate` share, so all three read a file the same way.

use std::io::Write;
use std::path::Path;

use tollgate::policy::Policy;

use crate::error::CliError;

/// The policy in `path` (TOML, or JSON for a `.json` name), or the built-in
/// default when no file is given.
pub(crate) fn load(path: Option<&Path>) -> Result<Policy, CliError> {
    let Some(path) = path else {
        return Ok(Policy::default());
    };
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| CliError::Read {
        path: shown.clone(),
        source,
    })?;
    let is_json = path.extension().is_some_and(|ext| ext.eq_ignore_ascii_case("json"));
    let parsed = if is_json {
        Policy::from_json(&text)
    } else {
        Policy::from_toml(&text)
    };
    parsed.map_err(|source| CliError::Policy { path: shown, source })
}

/// `tollgate policy default`: the built-in policy as TOML.
pub(crate) fn print_default() -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    let toml = Policy::default().to_toml().map_err(CliError::Engine)?;
    out.write_all(toml.as_bytes())?;
    out.flush()?;
    Ok(())
}

/// `tollgate policy check FILE`.
pub(crate) fn check(path: &Path) -> Result<(), CliError> {
    let policy = load(Some(path))?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "ok: {} limit rules", policy.limits.len())?;
    Ok(())
}
