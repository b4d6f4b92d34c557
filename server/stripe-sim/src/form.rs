//! Decodes Stripe's bracket notation (`a[b]=1`, `a[]=x`, `a[0]=x`, `a[b][c]=2`) from a form body
//! or query string into JSON: objects for named keys, arrays for `[]` and numeric indexes.

use serde_json::{Map, Value};

pub fn parse(input: &str) -> Result<Map<String, Value>, String> {
    let mut root = Value::Object(Map::new());
    for (key, value) in url::form_urlencoded::parse(input.as_bytes()) {
        let path = split(&key)?;
        insert(&mut root, &path, Value::String(value.into_owned()))?;
    }
    let Value::Object(mut map) = root else {
        return Ok(Map::new());
    };
    for v in map.values_mut() {
        arrays(v);
    }
    Ok(map)
}

fn split(key: &str) -> Result<Vec<String>, String> {
    let (head, rest) = match key.find('[') {
        Some(i) => (&key[..i], &key[i..]),
        None => (key, ""),
    };
    if head.is_empty() {
        return Err(format!("Invalid parameter name: {key}"));
    }
    let mut parts = vec![head.to_string()];
    let mut rest = rest;
    while !rest.is_empty() {
        let Some(end) = rest.find(']') else {
            return Err(format!("Invalid parameter name: {key}"));
        };
        if !rest.starts_with('[') {
            return Err(format!("Invalid parameter name: {key}"));
        }
        parts.push(rest[1..end].to_string());
        rest = &rest[end + 1..];
    }
    Ok(parts)
}

/// Inserts, representing arrays as objects keyed `"#<n>"` until [`arrays`] converts them.
fn insert(node: &mut Value, path: &[String], value: Value) -> Result<(), String> {
    let Value::Object(map) = node else {
        return Err("conflicting parameter shapes".into());
    };
    let (first, rest) = path.split_first().ok_or("empty parameter name")?;
    let key = if first.is_empty() {
        format!("#{}", map.len())
    } else if first.chars().all(|c| c.is_ascii_digit()) {
        format!("#{first}")
    } else {
        first.clone()
    };
    if rest.is_empty() {
        map.insert(key, value);
        return Ok(());
    }
    let child = map.entry(key).or_insert_with(|| Value::Object(Map::new()));
    if !child.is_object() {
        return Err("conflicting parameter shapes".into());
    }
    insert(child, rest, value)
}

fn arrays(node: &mut Value) {
    if let Value::Object(map) = node {
        for v in map.values_mut() {
            arrays(v);
        }
        if !map.is_empty() && map.keys().all(|k| k.starts_with('#')) {
            let mut items: Vec<(u64, Value)> = std::mem::take(map)
                .into_iter()
                .map(|(k, v)| (k[1..].parse().unwrap_or(0), v))
                .collect();
            items.sort_by_key(|(i, _)| *i);
            *node = Value::Array(items.into_iter().map(|(_, v)| v).collect());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn brackets_become_json() {
        let m = parse("display_name=S&address[line1]=1+Main&address[country]=US&metadata[k]=v&payment_method_types[]=card_present&expand[0]=latest_charge&process_config[tipping][amount_eligible]=5").expect("parse");
        assert_eq!(
            Value::Object(m),
            json!({"display_name":"S","address":{"line1":"1 Main","country":"US"},"metadata":{"k":"v"},"payment_method_types":["card_present"],"expand":["latest_charge"],"process_config":{"tipping":{"amount_eligible":"5"}}})
        );
        assert_eq!(
            Value::Object(parse("metadata=").expect("parse")),
            json!({"metadata":""})
        );
        assert!(parse("[x]=1").is_err());
    }
}
