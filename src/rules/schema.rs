//! Documentation from types: the fields of a settings struct or of a rule kind's parameters with their
//! doc comments, read from the JSON schema `schemars` derives, so `sluice rules` prints what the code
//! declares and nothing is written twice.

use schemars::JsonSchema;
use serde_json::Value;

/// The fields of a struct with their doc comments, by name.
pub fn field_docs<T: JsonSchema>() -> Vec<(String, String)> {
    let schema = schemars::schema_for!(T);
    properties(schema.as_value(), schema.as_value())
}

/// The parameters of one kind of a `#[serde(tag = "kind")]` enum with their doc comments, by name
/// (the tag left out); empty for a kind the enum does not have.
pub fn variant_docs<T: JsonSchema>(kind: &str) -> Vec<(String, String)> {
    let schema = schemars::schema_for!(T);
    let root = schema.as_value();
    let variants = root.get("oneOf").and_then(Value::as_array);
    let is_kind =
        |v: &&Value| v.pointer("/properties/kind/const").and_then(Value::as_str) == Some(kind);
    variants
        .and_then(|v| v.iter().find(is_kind))
        .map(|variant| {
            let mut docs = properties(root, variant);
            docs.retain(|(name, _)| name != "kind");
            docs
        })
        .unwrap_or_default()
}

/// `(name, description)` of each property of a schema object, and of the schema it refers to (a
/// newtype variant's struct is a `$ref` into `$defs`).
fn properties(root: &Value, schema: &Value) -> Vec<(String, String)> {
    let own = schema.get("properties").and_then(Value::as_object);
    let referred = schema
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.strip_prefix('#'))
        .and_then(|pointer| root.pointer(pointer));
    let mut docs: Vec<(String, String)> = own
        .into_iter()
        .flatten()
        .map(|(name, prop)| {
            let doc = prop
                .get("description")
                .and_then(Value::as_str)
                .unwrap_or("");
            (name.clone(), doc.to_string())
        })
        .collect();
    if let Some(referred) = referred {
        docs.extend(properties(root, referred));
    }
    docs
}
