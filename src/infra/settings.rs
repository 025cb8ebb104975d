//! Run-time settings from `/admin/config.js` (`window.GALAXY_CONFIG`), so one
//! build serves every environment. Parsing is pure and unit-tested; only
//! `load` touches the browser.

use crate::infra::json::{Map, Value};

use crate::infra::api::url::normalise_base;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    Dev,
    Staging,
    Prod,
}

impl Environment {
    pub fn label(self) -> &'static str {
        match self {
            Environment::Dev => "dev",
            Environment::Staging => "staging",
            Environment::Prod => "prod",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Without a trailing slash (see `api::url`): an absolute https URL, or a
    /// same-origin path, which is empty for the origin's root.
    pub api_base_url: String,
    pub environment: Option<Environment>,
    pub status_poll_ms: u32,
    pub version_poll_ms: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ConfigError {
    /// The offending key, when there is one.
    pub key: Option<String>,
    pub message: String,
}

impl ConfigError {
    fn key(key: &str, message: impl Into<String>) -> Self {
        Self {
            key: Some(key.to_owned()),
            message: message.into(),
        }
    }
}

struct PollSetting {
    key: &'static str,
    default: u32,
    min: u32,
    max: u32,
}

const STATUS_POLL: PollSetting = PollSetting {
    key: "STATUS_POLL_MS",
    default: 2_000,
    min: 500,
    max: 60_000,
};
const VERSION_POLL: PollSetting = PollSetting {
    key: "VERSION_POLL_MS",
    default: 60_000,
    min: 1_000,
    max: 3_600_000,
};
const KNOWN_KEYS: &[&str] = &[
    "API_BASE_URL",
    "ENVIRONMENT",
    STATUS_POLL.key,
    VERSION_POLL.key,
];

fn api_base_url(object: &Map) -> Result<String, ConfigError> {
    let key = "API_BASE_URL";
    let raw = match object.get(key) {
        None | Some(Value::Null) => return Err(ConfigError::key(key, "is required")),
        Some(Value::String(s)) => s,
        Some(_) => return Err(ConfigError::key(key, "must be a string")),
    };
    normalise_base(raw).ok_or_else(|| {
        ConfigError::key(
            key,
            format!(
                "must be an absolute https URL or a same-origin path such as /api, not {raw:?}"
            ),
        )
    })
}

fn environment(object: &Map) -> Result<Option<Environment>, ConfigError> {
    let key = "ENVIRONMENT";
    match object.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => match s.as_str() {
            "dev" => Ok(Some(Environment::Dev)),
            "staging" => Ok(Some(Environment::Staging)),
            "prod" => Ok(Some(Environment::Prod)),
            other => Err(ConfigError::key(
                key,
                format!("must be dev, staging or prod, not {other:?}"),
            )),
        },
        Some(_) => Err(ConfigError::key(
            key,
            "must be a string: dev, staging or prod",
        )),
    }
}

fn poll(object: &Map, setting: &PollSetting) -> Result<u32, ConfigError> {
    match object.get(setting.key) {
        None | Some(Value::Null) => Ok(setting.default),
        Some(value) => value
            .as_u64()
            .filter(|ms| (setting.min as u64..=setting.max as u64).contains(ms))
            .map(|ms| ms as u32)
            .ok_or_else(|| {
                ConfigError::key(
                    setting.key,
                    format!(
                        "must be a whole number of milliseconds from {} to {}, not {value}",
                        setting.min, setting.max
                    ),
                )
            }),
    }
}

/// Validates the value of `window.GALAXY_CONFIG`.
pub fn parse(value: &Value) -> Result<Config, ConfigError> {
    let object = value.as_object().ok_or_else(|| ConfigError {
        key: None,
        message: "window.GALAXY_CONFIG must be an object".to_owned(),
    })?;
    // A misspelt key would otherwise silently fall back to a default.
    if let Some(unknown) = object.keys().find(|k| !KNOWN_KEYS.contains(&k.as_str())) {
        return Err(ConfigError::key(
            unknown,
            format!("is not a known setting (known: {})", KNOWN_KEYS.join(", ")),
        ));
    }
    Ok(Config {
        api_base_url: api_base_url(object)?,
        environment: environment(object)?,
        status_poll_ms: poll(object, &STATUS_POLL)?,
        version_poll_ms: poll(object, &VERSION_POLL)?,
    })
}

/// Reads and validates `window.GALAXY_CONFIG`.
pub fn load() -> Result<Config, ConfigError> {
    let window = web_sys::window().expect("a browser window");
    let raw = js_sys::Reflect::get(&window, &"GALAXY_CONFIG".into())
        .unwrap_or(wasm_bindgen::JsValue::UNDEFINED);
    if raw.is_undefined() || raw.is_null() {
        return Err(ConfigError {
            key: None,
            message:
                "window.GALAXY_CONFIG is not defined: the file did not load or does not set it"
                    .to_owned(),
        });
    }
    let json = js_sys::JSON::stringify(&raw)
        .ok()
        .and_then(|s| s.as_string())
        .ok_or_else(|| ConfigError {
            key: None,
            message: "window.GALAXY_CONFIG is not plain data".to_owned(),
        })?;
    let value = Value::parse(&json).map_err(|e| ConfigError {
        key: None,
        message: format!("window.GALAXY_CONFIG is not plain data: {e}"),
    })?;
    parse(&value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    #[test]
    fn minimal_config_gets_defaults() {
        let c = parse(&json!({ "API_BASE_URL": "https://localhost:30002/api/" })).unwrap();
        assert_eq!(c.api_base_url, "https://localhost:30002/api");
        assert_eq!(c.environment, None);
        assert_eq!((c.status_poll_ms, c.version_poll_ms), (2_000, 60_000));
    }

    #[test]
    fn same_origin_paths_and_every_environment_are_accepted() {
        for (env, expected) in [
            ("dev", Environment::Dev),
            ("staging", Environment::Staging),
            ("prod", Environment::Prod),
        ] {
            let c = parse(
                &json!({ "API_BASE_URL": "/api", "ENVIRONMENT": env, "STATUS_POLL_MS": 5000 }),
            )
            .unwrap();
            assert_eq!(
                (c.api_base_url.as_str(), c.environment, c.status_poll_ms),
                ("/api", Some(expected), 5000)
            );
        }
        let root = parse(&json!({ "API_BASE_URL": "/" })).unwrap();
        assert_eq!(
            root.api_base_url, "",
            "the origin's root joins as /admin/..."
        );
    }

    #[test]
    fn bad_values_name_their_key() {
        let cases = [
            (json!({}), "API_BASE_URL"),
            (json!({ "API_BASE_URL": "" }), "API_BASE_URL"),
            (
                json!({ "API_BASE_URL": "http://gateway/api" }),
                "API_BASE_URL",
            ),
            (
                json!({ "API_BASE_URL": "//evil.example.com/api" }),
                "API_BASE_URL",
            ),
            (json!({ "API_BASE_URL": "api" }), "API_BASE_URL"),
            (json!({ "API_BASE_URL": 42 }), "API_BASE_URL"),
            (
                json!({ "API_BASE_URL": "/api", "ENVIRONMENT": "production" }),
                "ENVIRONMENT",
            ),
            (
                json!({ "API_BASE_URL": "/api", "STATUS_POLL_MS": 10 }),
                "STATUS_POLL_MS",
            ),
            (
                json!({ "API_BASE_URL": "/api", "VERSION_POLL_MS": "60000" }),
                "VERSION_POLL_MS",
            ),
            (
                json!({ "API_BASE_URL": "/api", "API_BASE": "/api" }),
                "API_BASE",
            ),
        ];
        for (value, key) in cases {
            let err = parse(&value).unwrap_err();
            assert_eq!(err.key.as_deref(), Some(key), "{value}: {err:?}");
        }
        assert_eq!(parse(&json!("nope")).unwrap_err().key, None);
    }
}
