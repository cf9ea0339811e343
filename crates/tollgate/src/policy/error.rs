use std::fmt;

/// A policy that cannot be used, with the field at fault.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyError {
    /// A value is out of range or inconsistent with another.
    #[error("policy field `{field}`: {message}")]
    Invalid {
        /// Path of the offending field, e.g. `limits[2].burst`.
        field: String,
        /// What is wrong with it.
        message: String,
    },
    /// The TOML text could not be read (the message names line and field).
    #[cfg(feature = "serde")]
    #[error("policy TOML: {0}")]
    Toml(#[from] toml::de::Error),
    /// The policy could not be written as TOML.
    #[cfg(feature = "serde")]
    #[error("policy TOML output: {0}")]
    TomlWrite(#[from] toml::ser::Error),
    /// The JSON text could not be read (the message names line and column).
    #[cfg(feature = "serde")]
    #[error("policy JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// The engine's store is shared between instances (such as Redis) and
    /// no key secret was set: each instance would hash counter keys under
    /// its own random secret, so every instance would count apart.
    #[error(
        "the store is shared between instances but no key secret is set: each instance would hash \
         counter keys under its own random secret, so limits would loosen with every instance and \
         restart with every process. Give every instance the same secret with \
         EngineBuilder::key_secret (the examples: --key-secret or TOLLGATE_KEY_SECRET; make one \
         with `openssl rand -hex 16`)"
    )]
    SharedStoreWithoutSecret,
}

impl PolicyError {
    pub(crate) fn invalid(field: impl fmt::Display, message: impl fmt::Display) -> Self {
        PolicyError::Invalid {
            field: field.to_string(),
            message: message.to_string(),
        }
    }

    /// The offending field's path, for validation errors.
    pub fn field(&self) -> Option<&str> {
        match self {
            PolicyError::Invalid { field, .. } => Some(field),
            _ => None,
        }
    }
}
