//! JSON as the dashboard needs it: parse the gateway's answers, write request
//! bodies. Numbers keep their text, so Galaxy's BIGINT ticks stay exact and a
//! value is sent back exactly as the operator typed it; a number no float can
//! hold is refused, as is a duplicate key (which of the two would be meant?).
//! A differential property test holds it to serde_json's reading.
//!
//! serde_json did this for the first versions; its generic deserializer,
//! error texts and ordered maps cost about 10 KB of the 280 KB budget as served,
//! which this module does in a fraction of.

use std::fmt::{self, Write};

/// Deeper nesting than this is refused rather than risking the stack.
const MAX_DEPTH: usize = 128;

#[derive(Debug, Clone, PartialEq, Default)]
pub enum Value {
    #[default]
    Null,
    Bool(bool),
    Number(Number),
    String(String),
    Array(Vec<Value>),
    Object(Map),
}

/// A number as written in JSON, always one a float can hold.
#[derive(Debug, Clone)]
pub struct Number(String);

/// Equal as numbers, not as text: `20.0` is `20`; whole numbers compare
/// exactly, past a float's 53 bits.
impl PartialEq for Number {
    fn eq(&self, other: &Self) -> bool {
        match (self.as_i128(), other.as_i128()) {
            (Some(a), Some(b)) => a == b,
            _ => self.as_f64() == other.as_f64(),
        }
    }
}

/// An object's members, in the order written.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Map(Vec<(String, Value)>);

impl Number {
    /// `text` if it is a JSON number.
    pub fn parse(text: &str) -> Option<Number> {
        let mut p = Parser::new(text);
        let n = p.number().ok()?;
        (p.at == text.len()).then_some(n)
    }

    fn is_integer(&self) -> bool {
        !self.0.contains(['.', 'e', 'E'])
    }

    pub fn as_u64(&self) -> Option<u64> {
        self.0.parse().ok().filter(|_| self.is_integer())
    }

    fn as_i128(&self) -> Option<i128> {
        self.0.parse().ok().filter(|_| self.is_integer())
    }

    /// Its value as a float, correctly rounded (the parser refused any that overflows).
    pub fn as_f64(&self) -> f64 {
        nearest_f64(&self.0)
    }
}

/// The float nearest to a JSON number's text (JSON's number syntax is JavaScript's too),
/// by a correctly rounded parser that is already there: the browser's `parseFloat` in the
/// bundle, where core's own would add about 20 KB of tables and code; core's in native
/// tests, which the differential test holds to serde_json's.
fn nearest_f64(text: &str) -> f64 {
    #[cfg(target_arch = "wasm32")]
    return js_sys::Number::parse_float(text);
    #[cfg(not(target_arch = "wasm32"))]
    return text.parse().unwrap_or(f64::NAN);
}

impl Map {
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    pub fn keys(&self) -> impl Iterator<Item = &String> {
        self.0.iter().map(|(k, _)| k)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&String, &Value)> {
        self.0.iter().map(|(k, v)| (k, v))
    }
}

impl Value {
    /// The JSON text `text`, or where it stops being JSON.
    pub fn parse(text: &str) -> Result<Value, String> {
        let mut p = Parser::new(text);
        let value = p.value(0).and_then(|v| {
            p.space();
            if p.at == text.len() {
                Ok(v)
            } else {
                Err(p.at)
            }
        });
        value.map_err(|at| match p.duplicate {
            Some(at) => format!("a key is given twice at byte {at}"),
            None => format!("not valid JSON at byte {at}"),
        })
    }

    pub fn get(&self, key: &str) -> Option<&Value> {
        self.as_object()?.get(key)
    }

    pub fn as_object(&self) -> Option<&Map> {
        match self {
            Value::Object(m) => Some(m),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&Vec<Value>> {
        match self {
            Value::Array(a) => Some(a),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Value::Number(n) => n.as_u64(),
            _ => None,
        }
    }

    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Number(n) => Some(n.as_f64()),
            _ => None,
        }
    }

    pub fn is_integer(&self) -> bool {
        matches!(self, Value::Number(n) if n.is_integer())
    }

    pub fn is_number(&self) -> bool {
        matches!(self, Value::Number(_))
    }
}

/// `value["key"]`: the member, or null when there is none (or no object).
impl std::ops::Index<&str> for Value {
    type Output = Value;

    fn index(&self, key: &str) -> &Value {
        self.get(key).unwrap_or(&Value::Null)
    }
}

/// An object of these members: the request bodies.
pub fn object<const N: usize>(members: [(&str, Value); N]) -> Value {
    Value::Object(Map(members
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect()))
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::String(s.to_owned())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::String(s)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}

impl From<i64> for Value {
    fn from(n: i64) -> Self {
        Value::Number(Number(n.to_string()))
    }
}

impl From<Number> for Value {
    fn from(n: Number) -> Self {
        Value::Number(n)
    }
}

fn write_string(f: &mut fmt::Formatter<'_>, s: &str) -> fmt::Result {
    f.write_char('"')?;
    for c in s.chars() {
        match c {
            '"' => f.write_str("\\\"")?,
            '\\' => f.write_str("\\\\")?,
            '\n' => f.write_str("\\n")?,
            '\r' => f.write_str("\\r")?,
            '\t' => f.write_str("\\t")?,
            c if u32::from(c) < 0x20 => write!(f, "\\u{:04x}", u32::from(c))?,
            c => f.write_char(c)?,
        }
    }
    f.write_char('"')
}

/// Compact JSON text.
impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str("null"),
            Value::Bool(b) => f.write_str(if *b { "true" } else { "false" }),
            Value::Number(n) => f.write_str(&n.0),
            Value::String(s) => write_string(f, s),
            Value::Array(items) => {
                f.write_char('[')?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_char(',')?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_char(']')
            }
            Value::Object(map) => {
                f.write_char('{')?;
                for (i, (k, v)) in map.0.iter().enumerate() {
                    if i > 0 {
                        f.write_char(',')?;
                    }
                    write_string(f, k)?;
                    write!(f, ":{v}")?;
                }
                f.write_char('}')
            }
        }
    }
}

/// A recursive-descent parser over bytes; errors are the byte offset.
struct Parser<'a> {
    text: &'a str,
    at: usize,
    /// Where a key was given twice, when that is why parsing stopped.
    duplicate: Option<usize>,
}

impl<'a> Parser<'a> {
    fn new(text: &'a str) -> Self {
        Self {
            text,
            at: 0,
            duplicate: None,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.at).copied()
    }

    fn space(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    fn eat(&mut self, b: u8) -> Result<(), usize> {
        self.space();
        if self.peek() == Some(b) {
            self.at += 1;
            Ok(())
        } else {
            Err(self.at)
        }
    }

    fn literal(&mut self, word: &str, value: Value) -> Result<Value, usize> {
        if self.text[self.at..].starts_with(word) {
            self.at += word.len();
            Ok(value)
        } else {
            Err(self.at)
        }
    }

    fn value(&mut self, depth: usize) -> Result<Value, usize> {
        self.space();
        if depth > MAX_DEPTH {
            return Err(self.at);
        }
        match self.peek() {
            Some(b'{') => {
                self.at += 1;
                let mut members = Vec::new();
                self.space();
                if self.peek() == Some(b'}') {
                    self.at += 1;
                    return Ok(Value::Object(Map(members)));
                }
                loop {
                    self.space();
                    let at = self.at;
                    let key = self.string()?;
                    if members.iter().any(|(k, _)| *k == key) {
                        self.duplicate = Some(at);
                        return Err(at);
                    }
                    self.eat(b':')?;
                    members.push((key, self.value(depth + 1)?));
                    self.space();
                    match self.peek() {
                        Some(b',') => self.at += 1,
                        Some(b'}') => {
                            self.at += 1;
                            return Ok(Value::Object(Map(members)));
                        }
                        _ => return Err(self.at),
                    }
                }
            }
            Some(b'[') => {
                self.at += 1;
                let mut items = Vec::new();
                self.space();
                if self.peek() == Some(b']') {
                    self.at += 1;
                    return Ok(Value::Array(items));
                }
                loop {
                    items.push(self.value(depth + 1)?);
                    self.space();
                    match self.peek() {
                        Some(b',') => self.at += 1,
                        Some(b']') => {
                            self.at += 1;
                            return Ok(Value::Array(items));
                        }
                        _ => return Err(self.at),
                    }
                }
            }
            Some(b'"') => self.string().map(Value::String),
            Some(b't') => self.literal("true", Value::Bool(true)),
            Some(b'f') => self.literal("false", Value::Bool(false)),
            Some(b'n') => self.literal("null", Value::Null),
            _ => self.number().map(Value::Number),
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.at;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.at += 1;
        }
        self.at - start
    }

    fn number(&mut self) -> Result<Number, usize> {
        let start = self.at;
        if self.peek() == Some(b'-') {
            self.at += 1;
        }
        let leading_zero = self.peek() == Some(b'0');
        let whole = self.digits();
        if whole == 0 || (leading_zero && whole > 1) {
            return Err(start);
        }
        if self.peek() == Some(b'.') {
            self.at += 1;
            if self.digits() == 0 {
                return Err(self.at);
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.at += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.at += 1;
            }
            if self.digits() == 0 {
                return Err(self.at);
            }
        }
        let text = &self.text[start..self.at];
        // Bounded: a number past a float's range (1e99999999999) is no number.
        if !nearest_f64(text).is_finite() {
            return Err(start);
        }
        Ok(Number(text.to_owned()))
    }

    fn hex4(&mut self) -> Result<u32, usize> {
        // Four hex digits exactly: `from_str_radix` alone would take `+041`.
        let hex = self
            .text
            .get(self.at..self.at + 4)
            .filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit()))
            .ok_or(self.at)?;
        let n = u32::from_str_radix(hex, 16).map_err(|_| self.at)?;
        self.at += 4;
        Ok(n)
    }

    fn string(&mut self) -> Result<String, usize> {
        if self.peek() != Some(b'"') {
            return Err(self.at);
        }
        self.at += 1;
        let mut out = String::new();
        loop {
            // Copy the run up to the next quote, escape or control character at once.
            let rest = &self.text[self.at..];
            let run = rest
                .bytes()
                .position(|b| b == b'"' || b == b'\\' || b < 0x20)
                .ok_or(self.text.len())?;
            out.push_str(&rest[..run]);
            self.at += run;
            match self.peek() {
                Some(b'"') => {
                    self.at += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.at += 1;
                    let escape = self.peek().ok_or(self.at)?;
                    self.at += 1;
                    match escape {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => {
                            let at = self.at;
                            let mut code = self.hex4()?;
                            if (0xd800..0xdc00).contains(&code)
                                && self.text[self.at..].starts_with("\\u")
                            {
                                self.at += 2;
                                let low = self.hex4()?;
                                if !(0xdc00..0xe000).contains(&low) {
                                    return Err(at);
                                }
                                code = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00);
                            }
                            out.push(char::from_u32(code).ok_or(at)?);
                        }
                        _ => return Err(self.at - 1),
                    }
                }
                _ => return Err(self.at),
            }
        }
    }
}

/// `json!` for tests, through serde_json (a dev-dependency only): the tests
/// keep writing JSON as JSON.
#[cfg(test)]
#[macro_export]
macro_rules! json {
    ($($t:tt)+) => {
        $crate::infra::json::Value::parse(&::serde_json::json!($($t)+).to_string()).unwrap()
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_the_gateway_sends() {
        let v = Value::parse(
            r#" { "tick": 9223372036854775807, "rate": -1.5e1, "ok": true, "none": null,
                 "name": "nova \"ace\" \u00e9\ud83d\ude80\n", "list": [1, [], {}] } "#,
        )
        .unwrap();
        assert_eq!(
            v.get("tick").and_then(Value::as_u64),
            Some(9_223_372_036_854_775_807)
        );
        assert_eq!(v.get("rate").and_then(Value::as_f64), Some(-15.0));
        assert_eq!(v.get("ok").and_then(Value::as_bool), Some(true));
        assert_eq!(v.get("none"), Some(&Value::Null));
        assert_eq!(
            v.get("name").and_then(Value::as_str),
            Some("nova \"ace\" é🚀\n")
        );
        assert_eq!(
            v.get("list").and_then(Value::as_array).map(Vec::len),
            Some(3)
        );
        assert_eq!(v.get("missing"), None);
    }

    #[test]
    fn refuses_what_is_not_json() {
        for bad in [
            "",
            "{",
            "[1,]",
            "{\"a\" 1}",
            "01",
            "1.",
            ".5",
            "-",
            "1e",
            "tru",
            "\"open",
            "\"\\x\"",
            "\"\u{1}\"",
            "{} {}",
            "NaN",
            "\"\\ud83d\\u0041\"",
            "\"\\u+041\"",
            "\"\\u-041\"",
            "\"\\ud800\"",
            "1e99999999999",
            "[1e400]",
            "{\"a\":1,\"a\":2}",
        ] {
            assert!(Value::parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            Value::parse("[1, }").unwrap_err(),
            "not valid JSON at byte 4"
        );
        let deep = "[".repeat(MAX_DEPTH + 2) + &"]".repeat(MAX_DEPTH + 2);
        assert!(
            Value::parse(&deep).is_err(),
            "too deep for the stack is refused"
        );
    }

    #[test]
    fn numbers_keep_their_text_and_read_as_floats() {
        let n = |t: &str| Number::parse(t).unwrap();
        assert_eq!(n("0.1").as_f64(), 0.1);
        assert_eq!(n("100").as_f64(), 100.0);
        assert_eq!(n("2.5").as_f64(), 2.5);
        assert_eq!(n("1e1").as_f64(), 10.0);
        assert_eq!(n("-0.05").as_f64(), -0.05);
        assert_eq!(n("12345678901234567890123").as_f64(), 1.2345678901234568e22);
        assert_eq!(
            n("1e-99999999999").as_f64(),
            0.0,
            "underflow is zero, never a panic"
        );
        for out_of_range in ["1e999", "1e99999999999", "-1e309"] {
            assert_eq!(Number::parse(out_of_range), None, "{out_of_range}");
        }
        assert_eq!(n("20.0"), n("20"), "equal as numbers");
        assert_eq!(n("-0"), n("0"));
        assert_ne!(
            n("9007199254740993"),
            n("9007199254740992"),
            "exact past 2^53"
        );
        assert_eq!(n("1.0").as_u64(), None, "a float is not a whole number");
        assert_eq!(n("-3").as_u64(), None);
        assert_eq!(Number::parse("1 "), None);
    }

    #[test]
    fn writes_compact_json_that_reads_back() {
        let body = object([
            ("name", "a\"b\\c\n\u{1}".into()),
            ("n", 7.into()),
            ("on", true.into()),
            ("list", Value::Array(vec![Value::Null])),
        ]);
        let text = body.to_string();
        assert_eq!(
            text,
            r#"{"name":"a\"b\\c\n\u0001","n":7,"on":true,"list":[null]}"#
        );
        assert_eq!(Value::parse(&text).unwrap(), body);
    }

    #[test]
    fn a_duplicate_key_is_refused_and_said_so() {
        assert_eq!(
            Value::parse(r#"{"rate": 1, "rate": 100}"#).unwrap_err(),
            "a key is given twice at byte 12"
        );
        assert!(Value::parse(r#"{"a": {"b": 1}, "b": {"a": 1}}"#).is_ok());
    }
}

/// Our reading against serde_json's (a dev-dependency only), over generated
/// documents: valid ones (with every kind of number and escape) and byte soup
/// near JSON. Both accept the same texts and read the same values, except that
/// ours refuses duplicate keys, where serde_json's `Value` keeps the last.
#[cfg(test)]
mod differential {
    use super::*;
    use proptest::prelude::*;

    fn to_serde(v: &Value) -> serde_json::Value {
        match v {
            Value::Null => serde_json::Value::Null,
            Value::Bool(b) => (*b).into(),
            Value::Number(n) => {
                // serde_json reads a negative zero as a float.
                let exact = (n.is_integer() && n.as_i128() != Some(0) || n.0 == "0").then(|| {
                    n.0.parse::<u64>()
                        .map(serde_json::Number::from)
                        .or_else(|_| n.0.parse::<i64>().map(serde_json::Number::from))
                        .ok()
                });
                match exact.flatten() {
                    Some(n) => serde_json::Value::Number(n),
                    None => serde_json::Number::from_f64(n.as_f64())
                        .map_or(serde_json::Value::Null, serde_json::Value::Number),
                }
            }
            Value::String(s) => s.clone().into(),
            Value::Array(items) => items.iter().map(to_serde).collect(),
            Value::Object(map) => serde_json::Value::Object(
                map.iter().map(|(k, v)| (k.clone(), to_serde(v))).collect(),
            ),
        }
    }

    fn number() -> impl Strategy<Value = String> {
        prop_oneof![
            any::<i64>().prop_map(|n| n.to_string()),
            any::<u64>().prop_map(|n| n.to_string()),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(|f| f.to_string()),
            "-?(0|[1-9][0-9]{0,30})(\\.[0-9]{1,30})?([eE][+-]?[0-9]{1,4})?",
        ]
    }

    fn string() -> impl Strategy<Value = String> {
        // Plain text, escapes of every kind, surrogate pairs and broken ones.
        prop::collection::vec(
            prop_oneof![
                "[ -~]",
                "\\\\[\"\\\\/bfnrt]",
                "\\\\u[0-9a-fA-F]{4}",
                "\\\\u[dD][89abAB][0-9a-f]{2}\\\\u[dD][c-fC-F][0-9a-f]{2}",
                "\\\\u[+ -]?[0-9a-g]{1,4}",
                "[\u{80}-\u{10ffff}]",
            ],
            0..8,
        )
        .prop_map(|parts| format!("\"{}\"", parts.concat().replace('"', "\\\"")))
    }

    fn document() -> impl Strategy<Value = String> {
        let leaf = prop_oneof![
            Just("null".to_owned()),
            Just("true".to_owned()),
            Just("false".to_owned()),
            number(),
            string(),
        ];
        leaf.prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6)
                    .prop_map(|v| format!("[{}]", v.join(","))),
                prop::collection::vec(("[a-c]{1,2}", inner), 0..6).prop_map(|members| {
                    let members: Vec<String> = members
                        .into_iter()
                        .map(|(k, v)| format!("\"{k}\" : {v}"))
                        .collect();
                    format!("{{ {} }}", members.join(" , "))
                }),
            ]
        })
    }

    fn agree(text: &str) {
        let ours = Value::parse(text);
        let theirs = serde_json::from_str::<serde_json::Value>(text);
        match (&ours, &theirs) {
            (Ok(a), Ok(b)) => assert_eq!(&to_serde(a), b, "{text:?}"),
            (Err(why), Ok(_)) if why.starts_with("a key is given twice") => {}
            (Err(_), Err(_)) => {}
            _ => panic!("{text:?}: ours {ours:?}, serde_json {theirs:?}"),
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn generated_documents_read_as_serde_json_reads_them(text in document()) {
            agree(&text);
        }

        #[test]
        fn byte_soup_near_json_is_accepted_or_refused_alike(
            text in "[\\[\\]{}\",:0-9eE.+\\-tfnrulsabx\\\\ ]{0,24}"
        ) {
            agree(&text);
        }
    }

    #[test]
    fn hostile_numbers_and_escapes() {
        for text in [
            "1e99999999999",
            "-1e99999999999",
            "1e-99999999999",
            "123456789012345678901234567890",
            "0.000000000000000000000000000001e-300",
            "\"\\u+041\"",
            "\"\\ud83d\"",
            "\"\\udc00\"",
            "[1,2,]",
            "{\"a\":1,}",
            "\"\\u00e9\\ud83d\\ude80\"",
            "-0",
            "-0.0e-0",
        ] {
            agree(text);
        }
    }
}
