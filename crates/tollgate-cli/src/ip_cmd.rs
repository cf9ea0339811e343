//! `tollgate ip ADDR`: what tollgate knows about one address — country,
//! city, position, network, anonymizer flags from MaxMind-format databases,
//! and the policy's zones it falls in.

use std::collections::HashMap;
use std::io::Write;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};
use tollgate::geo::{GeoDb, GeoSet};
use tollgate::net::{IpSet, normalize_ip};

use crate::error::CliError;
use crate::policy_cmd;

/// Reads each database file whole. The core takes bytes and does no I/O; a
/// long-running service would memory-map instead, a one-shot command need not.
pub(crate) fn load_geo(paths: &[PathBuf]) -> Result<GeoSet, CliError> {
    let mut set = GeoSet::new();
    for path in paths {
        let bytes = read(path)?;
        let db = GeoDb::from_bytes(bytes).map_err(|e| CliError::Input(format!("{}: {e}", path.display())))?;
        set.insert(db);
    }
    Ok(set)
}

/// `NAME=FILE` pairs: blocklists the policy's zones name.
pub(crate) fn load_lists(specs: &[String]) -> Result<HashMap<String, IpSet>, CliError> {
    let mut lists = HashMap::new();
    for spec in specs {
        let (name, file) = spec
            .split_once('=')
            .ok_or_else(|| CliError::Input(format!("--list {spec:?}: expected NAME=FILE")))?;
        let text = String::from_utf8(read(Path::new(file))?)
            .map_err(|_| CliError::Input(format!("{file}: not UTF-8 text")))?;
        let set = IpSet::parse_list(&text).map_err(|e| CliError::Input(format!("{file}: {e}")))?;
        lists.insert(name.to_owned(), set);
    }
    Ok(lists)
}

fn read(path: &Path) -> Result<Vec<u8>, CliError> {
    std::fs::read(path).map_err(|source| CliError::Read {
        path: path.display().to_string(),
        source,
    })
}

pub(crate) fn run(addr: &str, mmdb: &[PathBuf], policy: Option<&Path>, lists: &[String]) -> Result<(), CliError> {
    let ip: IpAddr = addr
        .trim()
        .parse()
        .map_err(|_| CliError::Input(format!("{addr:?} is not an IP address")))?;
    let ip = normalize_ip(ip);
    let geo = load_geo(mmdb)?;
    let policy = policy_cmd::load(policy)?;
    let lists = load_lists(lists)?;

    let mut out = Map::new();
    out.insert("ip".into(), json!(ip.to_string()));
    let details = geo
        .lookup_details(ip)
        .map_err(|e| CliError::Input(format!("lookup of {ip}: {e}")))?;
    if let Value::Object(fields) = serde_json::to_value(&details).map_err(std::io::Error::from)? {
        out.extend(fields);
    }
    let zones: Vec<Value> = policy
        .zones
        .iter()
        .filter(|z| z.cidrs.contains(ip) || z.lists.iter().any(|l| lists.get(l).is_some_and(|s| s.contains(ip))))
        .map(|z| json!({ "name": z.name, "action": z.action }))
        .collect();
    out.insert("zones".into(), Value::Array(zones));
    let mut stdout = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut stdout, &out).map_err(std::io::Error::from)?;
    writeln!(stdout)?;
    Ok(())
}
