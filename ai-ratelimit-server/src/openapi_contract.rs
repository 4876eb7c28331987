//! Completes the generated OpenAPI document with what every operation shares, so that a
//! contract tester or a generated client can trust it: the statuses the server's common
//! layers answer (malformed or oversized bodies, wrong content type, missing session, unknown
//! ids, unserved methods, an unreachable database), an example for each error, a schema for
//! every header parameter, and the required fields of bodies.
//!
//! Done on the JSON of the document, after utoipa: the statuses come from layers (the body
//! limit, the JSON extractor, the router's fallbacks), not from each handler's annotation.

use serde_json::{Map, Value, json};

use ai_ratelimit_core::policy::MAX_CONDITION_DEPTH;

const METHODS: &[&str] = &["get", "post", "put", "patch", "delete"];

/// An Azure deployment name (`provider::settings::is_deployment`).
const DEPLOYMENT_NAME: &str = r"^(?!\.{1,2}$)[A-Za-z0-9._-]{1,64}$";

/// A string without control characters (Unicode `Cc`, as Rust's `char::is_control`).
const NO_CONTROL_CHARACTERS: &str = r"^[^\x00-\x1f\x7f-\x9f]*$";

/// The error body of a status, as an example.
fn error_example(status: &str) -> Option<Value> {
    let (code, message) = match status {
        "400" => ("invalid_request", "must be a date YYYY-MM-DD"),
        "401" => ("unauthorized", "authentication required"),
        "404" => ("not_found", "not found"),
        "405" => (
            "method_not_allowed",
            "this method is not allowed on this route",
        ),
        "409" => (
            "organization_taken",
            "an organization with this name already exists",
        ),
        "413" => (
            "payload_too_large",
            "the request body is larger than the server accepts (MAX_BODY_BYTES)",
        ),
        "415" => (
            "unsupported_media_type",
            "expected a JSON body with `Content-Type: application/json`",
        ),
        "429" => ("rate_limited", "too many requests, retry later"),
        "502" => ("upstream_error", "the provider could not be reached"),
        "503" => ("unavailable", "service temporarily unavailable"),
        _ => return None,
    };
    let mut body = json!({"error": code, "message": message});
    if status == "400" {
        body["field"] = json!("from");
    }
    Some(body)
}

fn error_response(description: &str) -> Value {
    json!({
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
    })
}

/// Adds `status` to `responses` unless the handler documented it.
fn ensure(responses: &mut Map<String, Value>, status: &str, description: &str) {
    responses
        .entry(status.to_owned())
        .or_insert_with(|| error_response(description));
}

fn has_security(operation: &Value, scheme: &str) -> bool {
    operation["security"]
        .as_array()
        .is_some_and(|list| list.iter().any(|s| s.get(scheme).is_some()))
}

/// Completes one operation of `path`.
fn complete_operation(path: &str, operation: &mut Value) {
    let has_body = operation.get("requestBody").is_some();
    let bearer = has_security(operation, "bearer");
    let proxy = path.starts_with("/api/v1/");
    let admin = path.starts_with("/api/admin/");
    let public_ops = matches!(path, "/healthz" | "/metrics" | "/api/openapi.json");
    if let Some(params) = operation
        .get_mut("parameters")
        .and_then(Value::as_array_mut)
    {
        for param in params {
            // A contract tester cannot generate a header without a schema.
            if param.get("schema").is_none() && param.get("content").is_none() {
                param["schema"] = json!({"type": "string"});
            }
        }
    }
    if let Some(body) = operation.get_mut("requestBody") {
        body["required"] = json!(true);
    }
    let Some(responses) = operation
        .get_mut("responses")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    if has_body {
        ensure(
            responses,
            "400",
            "`invalid_request`: malformed JSON or an invalid field (`field` names it)",
        );
        ensure(
            responses,
            "413",
            "`payload_too_large`: the body is over `MAX_BODY_BYTES`",
        );
        ensure(
            responses,
            "415",
            "`unsupported_media_type`: the body is not `application/json`",
        );
    }
    if bearer {
        ensure(
            responses,
            "401",
            "`unauthorized`: missing, invalid or expired session",
        );
    }
    if admin {
        ensure(
            responses,
            "401",
            "`unauthorized`: missing or wrong admin key",
        );
        ensure(
            responses,
            "404",
            "Admin API disabled (`GLOBAL_ADMIN_KEY` unset) or no such project",
        );
    }
    if path.contains('{') {
        ensure(responses, "404", "`not_found`: no such resource");
    }
    if proxy {
        ensure(responses, "401", "`invalid_project_key`");
        ensure(
            responses,
            "503",
            "The usage store is unavailable; nothing was forwarded",
        );
    }
    if !public_ops {
        ensure(
            responses,
            "503",
            "`unavailable`: the database or usage store did not answer",
        );
    }
    ensure(
        responses,
        "405",
        "`method_not_allowed`: a method this path does not serve (see `Allow`)",
    );
    // An example for every error body.
    for (status, response) in responses.iter_mut() {
        let Some(example) = error_example(status) else {
            continue;
        };
        let Some(content) = response
            .get_mut("content")
            .and_then(|c| c.get_mut("application/json"))
        else {
            continue;
        };
        let is_error_body = content["schema"]["$ref"]
            .as_str()
            .is_some_and(|r| r.ends_with("/ErrorBody"));
        if is_error_body && content.get("example").is_none() {
            content["example"] = example;
        }
    }
}

/// Project creation needs a name (updates take any subset of the same fields), and the two
/// names of the provider key are alternatives, never both.
fn complete_schemas(document: &mut Value) {
    let schemas = &mut document["components"]["schemas"];
    if let Some(patch) = schemas.get_mut("ProjectPatch") {
        patch["not"] = json!({"required": ["openaiApiKey", "providerApiKey"]});
        // `tiers` and `rules` may be left out but not sent as `null` (the server answers
        // 400 `field: "tiers"`): an empty map or list clears them.
        for field in ["tiers", "rules", "requireSignedIdentity"] {
            if let Some(property) = patch["properties"].get_mut(field) {
                drop_null(property);
            }
        }
        // `projects::input::UpstreamUrl` takes what the WHATWG URL parser reads as http(s); the
        // pattern describes the plain absolute URLs that every such parser reads alike.
        if let Some(url) = patch["properties"].get_mut("baseUrl") {
            url["pattern"] = json!(
                "^$|^https?://(([A-Za-z0-9-]+\\.)*[A-Za-z][A-Za-z0-9-]*|(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3})(:([0-9]{1,4}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5]))?([/?#][^\\s]*)?$"
            );
        }
        if let Some(rules) = patch["properties"].get_mut("rules") {
            rules["items"] = json!({"$ref": "#/components/schemas/Rule"});
        }
        // Provider keys: trimmed, then free of control characters (`projects::input::key_change`).
        for field in ["providerApiKey", "openaiApiKey"] {
            if let Some(key) = patch["properties"].get_mut(field) {
                key["pattern"] = json!(
                    "^[\\t\\n\\x0b\\x0c\\r ]*[^\\x00-\\x1f\\x7f-\\x9f]*[\\t\\n\\x0b\\x0c\\r ]*$"
                );
            }
        }
        // Tier names: 1 to 64 characters (`ai_ratelimit_core::policy::MAX_TIER_LEN`).
        if let Some(tiers) = patch["properties"].get_mut("tiers") {
            tiers["propertyNames"] = json!({"minLength": 1, "maxLength": 64});
        }
    }
    if let Some(tier) = schemas.get_mut("TierLimits") {
        tier["additionalProperties"] = json!(false);
    }
    // Gemini harm categories: `HARM_CATEGORY_` and 1 to 64 capitals or `_`.
    if let Some(category) = schemas
        .get_mut("GeminiSafetySetting")
        .and_then(|s| s["properties"].get_mut("category"))
    {
        category["pattern"] = json!("^HARM_CATEGORY_[A-Z_]{1,64}$");
    }
    // `provider::settings::is_api_version`.
    if let Some(version) = schemas
        .get_mut("AzureSettings")
        .and_then(|s| s["properties"].get_mut("apiVersion"))
    {
        version["pattern"] = json!("^[0-9]{4}-[0-9]{2}-[0-9]{2}(-preview)?$");
    }
    if let Some(deployment) = schemas
        .get_mut("AzureSettings")
        .and_then(|s| s["properties"].get_mut("deployment"))
    {
        deployment["pattern"] = json!(DEPLOYMENT_NAME);
    }
    // Model names of Azure deployments: 1 to 256 printable characters, at most 64 of them
    // (`provider::settings`).
    if let Some(deployments) = schemas
        .get_mut("AzureSettings")
        .and_then(|s| s["properties"].get_mut("deployments"))
    {
        deployments["propertyNames"] =
            json!({"minLength": 1, "maxLength": 256, "pattern": NO_CONTROL_CHARACTERS});
        deployments["maxProperties"] = json!(64);
        // `provider::settings::is_deployment`.
        deployments["additionalProperties"] = json!({"type": "string", "pattern": DEPLOYMENT_NAME});
    }
    add_rule_schemas(schemas);
    if schemas.get("ProjectPatch").is_some() {
        schemas["ProjectCreate"] = json!({
            "allOf": [{"$ref": "#/components/schemas/ProjectPatch"}],
            "required": ["name"],
            "description": "A new project: `name` is required, every other field optional (the defaults of `ProjectPatch`)."
        });
        for path in ["/api/projects", "/api/admin/projects"] {
            let content =
                &mut document["paths"][path]["post"]["requestBody"]["content"]["application/json"];
            if content.is_object() {
                content["schema"] = json!({"$ref": "#/components/schemas/ProjectCreate"});
                content["example"] = json!({"name": "My app", "providerApiKey": "sk-proj-…", "dailyRequestLimit": 50});
            }
        }
    }
}

/// One kind of a flat serde shape (`ConditionConfig`, `ActionConfig`): its `type`, the fields
/// it requires (not null) and takes (null = absent, as serde reads an `Option`). The server
/// also takes another kind's field as `null`; the document leaves those out, which keeps the
/// unions of generated clients simple.
fn kind(name: &str, required: &[(&str, Value)], optional: &[(&str, Value)]) -> Value {
    let mut properties = Map::new();
    properties.insert("type".to_owned(), json!({"const": name}));
    for (field, schema) in required {
        properties.insert((*field).to_owned(), schema.clone());
    }
    for (field, schema) in optional {
        properties.insert(
            (*field).to_owned(),
            json!({"anyOf": [schema, {"type": "null"}]}),
        );
    }
    let mut names = vec!["type"];
    names.extend(required.iter().map(|(f, _)| *f));
    json!({
        "type": "object",
        "additionalProperties": false,
        "required": names,
        "properties": properties
    })
}

/// The rule language of `ai_ratelimit_core::policy::rule` (its `RuleConfig`, `ConditionConfig`
/// and `ActionConfig`), one schema per kind so that fields a kind does not take are refused.
/// The kinds exclude each other by `type` (and `value`/`values`), so `anyOf` says the same as
/// `oneOf`, and generated clients type it as a plain union.
fn add_rule_schemas(schemas: &mut Value) {
    let usage = |name: &str| {
        kind(
            name,
            &[
                (
                    "metric",
                    json!({"type": "string", "enum": ["requests", "tokens"]}),
                ),
                (
                    "operator",
                    json!({"type": "string", "enum": ["gt", "gte", "lt", "lte", "eq"]}),
                ),
                ("threshold", json!({"type": "number", "minimum": 0})),
            ],
            &[],
        )
    };
    // One schema per nesting level: a composite's conditions are one level deeper, and the
    // eighth level's composites take none (`MAX_CONDITION_DEPTH`).
    let name = |level: usize| {
        if level == 1 {
            "Condition".to_owned()
        } else {
            format!("ConditionLevel{level}")
        }
    };
    for level in 1..=MAX_CONDITION_DEPTH {
        let nested = if level == MAX_CONDITION_DEPTH {
            json!({"type": "array", "maxItems": 0})
        } else {
            json!({"type": "array", "items": {"$ref": format!("#/components/schemas/{}", name(level + 1))}})
        };
        schemas[name(level)] = json!({
            "description": format!("When a rule applies (nesting level {level} of at most {MAX_CONDITION_DEPTH}): a usage share or count, a tier, or `and`/`or` of nested conditions."),
            "anyOf": [
                usage("usage_percent"),
                usage("usage_absolute"),
                kind("tier_match", &[("value", json!({"type": "string"}))], &[]),
                kind(
                    "tier_match",
                    &[("values", json!({"type": "array", "items": {"type": "string"}, "minItems": 1}))],
                    &[]),
                kind(
                    "composite",
                    &[
                        ("operator", json!({"type": "string", "enum": ["and", "or"]})),
                        ("conditions", nested),
                    ],
                    &[]),
            ],
            "example": {"type": "usage_percent", "metric": "requests", "operator": "gte", "threshold": 80}
        });
    }
    schemas["RuleAction"] = json!({
        "description": "What a rule does: `allow`, `block` (optional `message`) or `custom_response` (blocking, or a warning with `block: false`).",
        "anyOf": [
            kind("allow", &[], &[]),
            kind("block", &[], &[("message", json!({"type": "string"}))]),
            kind(
                "custom_response",
                &[("response", json!({"not": {"type": "null"}}))],
                &[
                    ("status", json!({"type": "integer", "minimum": 200, "maximum": 599})),
                    ("block", json!({"type": "boolean"})),
                ]),
        ],
        "example": {"type": "custom_response", "response": {"message": "{{percent}}% of your free requests used"}, "block": false}
    });
    schemas["Rule"] = json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["condition", "action"],
        "properties": {
            "id": {"type": ["string", "null"], "description": "Stable id; `rule-<n>` (its position) when absent."},
            "name": {"type": ["string", "null"]},
            "enabled": {"type": ["boolean", "null"], "description": "Default true."},
            "condition": {"$ref": "#/components/schemas/Condition"},
            "action": {"$ref": "#/components/schemas/RuleAction"}
        }
    });
}

/// utoipa writes Rust's `u64` as `format: int64, minimum: 0`, which caps it at 2^63 - 1; the
/// server takes (and answers) the whole `u64` range.
fn unsigned_64(schema: &mut Value) {
    match schema {
        Value::Object(map) => {
            if map.get("format").is_some_and(|f| f == "int64")
                && map.get("minimum").is_some_and(|m| m == 0)
            {
                map.remove("format");
                map.insert("maximum".to_owned(), json!(u64::MAX));
            }
            map.values_mut().for_each(unsigned_64);
        }
        Value::Array(items) => items.iter_mut().for_each(unsigned_64),
        _ => {}
    }
}

/// Takes `null` out of a schema's accepted types.
fn drop_null(schema: &mut Value) {
    if let Some(types) = schema.get_mut("type").and_then(Value::as_array_mut) {
        types.retain(|t| t != "null");
        if types.len() == 1 {
            schema["type"] = types[0].clone();
        }
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(options) = schema.get_mut(key).and_then(Value::as_array_mut) {
            options.retain(|o| o.get("type").is_none_or(|t| t != "null"));
        }
    }
}

/// The OpenAI-compatible routes answer errors in OpenAI's shape (`{"error": {…}}`), except
/// the router's 405: every other documented error takes the shape of their 401.
fn openai_errors(document: &mut Value) {
    let Some(paths) = document.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    let shape = paths
        .iter()
        .filter(|(path, _)| path.starts_with("/api/v1/openai/"))
        .flat_map(|(_, item)| METHODS.iter().filter_map(move |m| item.get(*m)))
        .map(|op| &op["responses"]["401"]["content"]["application/json"])
        .find(|content| content["schema"]["$ref"].is_null() && content.is_object())
        .cloned();
    let Some(shape) = shape else {
        return;
    };
    for (path, item) in paths.iter_mut() {
        if !path.starts_with("/api/v1/openai/") {
            continue;
        }
        for method in METHODS {
            let Some(responses) = item
                .get_mut(*method)
                .and_then(|op| op.get_mut("responses"))
                .and_then(Value::as_object_mut)
            else {
                continue;
            };
            for (status, response) in responses.iter_mut() {
                let content = &mut response["content"]["application/json"];
                let error_body = content["schema"]["$ref"]
                    .as_str()
                    .is_some_and(|r| r.ends_with("/ErrorBody"));
                if status != "405" && error_body {
                    *content = shape.clone();
                }
            }
        }
    }
}

/// The completed document.
pub fn complete(mut document: Value) -> Value {
    if let Some(paths) = document.get_mut("paths").and_then(Value::as_object_mut) {
        for (path, item) in paths.iter_mut() {
            for method in METHODS {
                if let Some(operation) = item.get_mut(*method) {
                    complete_operation(path, operation);
                }
            }
        }
    }
    unsigned_64(&mut document);
    complete_schemas(&mut document);
    openai_errors(&mut document);
    document
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_and_sessions_get_their_common_statuses() {
        let document = complete(json!({
            "paths": {"/api/projects/{id}": {"patch": {
                "security": [{"bearer": []}],
                "parameters": [{"name": "x-extra", "in": "header"}],
                "requestBody": {"content": {"application/json": {"schema": {}}}},
                "responses": {"200": {"description": "ok"}}
            }}},
            "components": {"schemas": {}}
        }));
        let op = &document["paths"]["/api/projects/{id}"]["patch"];
        for status in ["400", "401", "404", "405", "413", "415", "503"] {
            assert!(op["responses"][status].is_object(), "{status}");
        }
        assert_eq!(
            op["responses"]["415"]["content"]["application/json"]["example"]["error"],
            "unsupported_media_type"
        );
        assert_eq!(op["parameters"][0]["schema"]["type"], "string");
        assert_eq!(op["requestBody"]["required"], true);
    }
}
