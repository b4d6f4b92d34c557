//! Typed access to decoded parameters, with Stripe's errors for unknown, missing and bad ones.

use crate::errors::{SimError, SimResult};
use serde_json::{Map, Value};

#[derive(Debug, Clone, Default)]
pub struct Params(pub Map<String, Value>);

/// Parameters every endpoint accepts.
const ALWAYS: &[&str] = &["expand"];

impl Params {
    /// Refuses parameters the endpoint does not know, naming the first.
    pub fn allow(&self, known: &[&str]) -> SimResult<()> {
        let mut keys: Vec<&String> = self.0.keys().collect();
        keys.sort();
        for key in keys {
            if !known.contains(&key.as_str()) && !ALWAYS.contains(&key.as_str()) {
                return Err(SimError::unknown(key));
            }
        }
        Ok(())
    }

    pub fn get(&self, name: &str) -> Option<&Value> {
        self.0.get(name)
    }

    pub fn str(&self, name: &str) -> SimResult<Option<String>> {
        match self.0.get(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(SimError::invalid(
                "parameter_invalid_string",
                format!("Invalid string: {name}"),
            )
            .param(name)),
        }
    }

    pub fn req_str(&self, name: &str) -> SimResult<String> {
        match self.str(name)? {
            Some(s) if !s.is_empty() => Ok(s),
            Some(_) => Err(SimError::invalid(
                "parameter_invalid_empty",
                format!("You passed an empty string for '{name}'. We assume empty values are an attempt to unset a parameter; however '{name}' cannot be unset. You should remove '{name}' from your request or supply a non-empty value."),
            )
            .param(name)),
            None => Err(SimError::missing(name)),
        }
    }

    pub fn int(&self, name: &str) -> SimResult<Option<i64>> {
        match self.str(name)? {
            None => Ok(None),
            Some(s) => s
                .trim()
                .parse::<i64>()
                .map(Some)
                .map_err(|_| SimError::invalid_integer(name, &s)),
        }
    }

    pub fn bool(&self, name: &str) -> SimResult<Option<bool>> {
        match self.str(name)?.as_deref() {
            None => Ok(None),
            Some("true") => Ok(Some(true)),
            Some("false") => Ok(Some(false)),
            Some(other) => Err(SimError::invalid(
                "parameter_invalid_boolean",
                format!("Invalid boolean: {other}"),
            )
            .param(name)),
        }
    }

    pub fn strings(&self, name: &str) -> SimResult<Option<Vec<String>>> {
        match self.0.get(name) {
            None => Ok(None),
            Some(Value::Array(items)) => Ok(Some(
                items
                    .iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect(),
            )),
            Some(Value::String(s)) if s.is_empty() => Ok(Some(Vec::new())),
            Some(_) => Err(SimError::invalid(
                "parameter_invalid_array",
                format!("Invalid array: {name}"),
            )
            .param(name)),
        }
    }

    /// A string that must be one of `allowed`, with Stripe's "Invalid …: must be one of" error.
    pub fn one_of(&self, name: &str, allowed: &[&str]) -> SimResult<Option<String>> {
        let value = self.str(name)?;
        if let Some(v) = &value {
            if !allowed.contains(&v.as_str()) {
                return Err(SimError::invalid_string(
                    name,
                    format!("Invalid {name}: must be one of {}", allowed.join(", ")),
                ));
            }
        }
        Ok(value)
    }

    pub fn expand(&self) -> Vec<String> {
        self.strings("expand").ok().flatten().unwrap_or_default()
    }

    /// Applies `metadata` to `target`: keys set, an empty value removes a key, `metadata=`
    /// clears all.
    pub fn apply_metadata(&self, target: &mut Value) -> SimResult<()> {
        let Some(given) = self.0.get("metadata") else {
            return Ok(());
        };
        let meta = target
            .as_object_mut()
            .and_then(|o| {
                o.entry("metadata")
                    .or_insert_with(|| Value::Object(Map::new()));
                o.get_mut("metadata")
            })
            .and_then(Value::as_object_mut)
            .ok_or_else(|| SimError::bad_request("Invalid metadata."))?;
        match given {
            Value::String(s) if s.is_empty() => meta.clear(),
            Value::Object(entries) => {
                for (k, v) in entries {
                    if k.chars().count() > 40 {
                        return Err(SimError::invalid(
                            "parameter_invalid_string",
                            "Metadata keys can be at most 40 characters long.",
                        )
                        .param(format!("metadata[{k}]")));
                    }
                    match v.as_str() {
                        Some("") => {
                            meta.remove(k);
                        }
                        Some(s) if s.chars().count() > 500 => {
                            return Err(SimError::invalid(
                                "parameter_invalid_string",
                                "Metadata values can be at most 500 characters long.",
                            )
                            .param(format!("metadata[{k}]")));
                        }
                        Some(s) => {
                            meta.insert(k.clone(), Value::String(s.to_string()));
                        }
                        None => {
                            return Err(SimError::invalid(
                                "parameter_invalid_string",
                                "Metadata values must be strings.",
                            )
                            .param(format!("metadata[{k}]")))
                        }
                    }
                }
                if meta.len() > 50 {
                    return Err(SimError::invalid(
                        "parameter_invalid_string",
                        "You can have at most 50 metadata keys.",
                    )
                    .param("metadata"));
                }
            }
            _ => {
                return Err(
                    SimError::invalid("parameter_invalid_string", "Invalid metadata.")
                        .param("metadata"),
                )
            }
        }
        Ok(())
    }

    /// A stable fingerprint of the parameters, for idempotency comparisons.
    pub fn fingerprint(&self) -> String {
        Value::Object(self.0.clone()).to_string()
    }
}
