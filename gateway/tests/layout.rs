//! Keeps the gateway's layering: `domain` uses nothing of the crate but itself and no HTTP
//! framework; `store` uses the domain and the settings, never the HTTP layer; `settings` uses
//! the domain and the store; and no file reaches, through `crate::` (or `super::`) paths, back
//! to a file that reaches it. Read from the sources, so a new import that breaks the layout
//! fails here before it can grow into the circle the gateway had once.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// One source file: its module path (`["domain", "audit"]`; `[]` for the crate root) and text.
struct Source {
    module: Vec<String>,
    text: String,
}

/// External crates each layer must not use.
const FORBIDDEN_CRATES: &[(&str, &[&str])] = &[
    (
        "domain",
        &[
            "axum",
            "axum_server",
            "tower",
            "tower_http",
            "reqwest",
            "tokio",
        ],
    ),
    ("store", &["axum", "axum_server", "tower", "tower_http"]),
    ("settings", &["tower", "tower_http"]),
];

/// The top-level modules each layer may use (itself included).
const ALLOWED_LAYERS: &[(&str, &[&str])] = &[
    ("domain", &["domain"]),
    ("store", &["domain", "store", "settings"]),
    ("settings", &["domain", "store", "settings"]),
    ("http", &["domain", "store", "settings", "http"]),
];

fn module_of(relative: &Path) -> Vec<String> {
    let mut parts: Vec<String> = relative
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let file = parts.pop().expect("a file name");
    let stem = file.trim_end_matches(".rs");
    if stem != "mod" && stem != "lib" {
        parts.push(stem.to_owned());
    }
    parts
}

fn collect(dir: &Path, root: &Path, out: &mut Vec<Source>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("the source directory is readable")
        .map(|e| e.expect("a directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            collect(&path, root, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(Source {
                module: module_of(path.strip_prefix(root).expect("under the root")),
                text: std::fs::read_to_string(&path).expect("a readable source file"),
            });
        }
    }
}

/// The library's sources: the crate root, `settings`, and everything under the three layers
/// (`main.rs` is the binary, which may use anything).
fn gateway_sources() -> Vec<Source> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut sources = Vec::new();
    for file in ["lib.rs", "settings.rs"] {
        sources.push(Source {
            module: module_of(Path::new(file)),
            text: std::fs::read_to_string(root.join(file)).expect("a readable source file"),
        });
    }
    for layer in ["domain", "store", "http"] {
        collect(&root.join(layer), &root, &mut sources);
    }
    sources
}

/// The text without comments (doc comments name other modules without using them) and
/// without string literals.
fn code(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let mut in_string = false;
        let mut prev = '\0';
        let mut kept = String::new();
        let chars: Vec<char> = line.chars().collect();
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            if in_string {
                if c == '"' && prev != '\\' {
                    in_string = false;
                }
                prev = if prev == '\\' && c == '\\' { '\0' } else { c };
                i += 1;
                continue;
            }
            if c == '/' && chars.get(i + 1) == Some(&'/') {
                break;
            }
            if c == '"' && !(i > 0 && chars[i - 1] == '\'' && chars.get(i + 1) == Some(&'\'')) {
                in_string = true;
                prev = '\0';
                i += 1;
                continue;
            }
            kept.push(c);
            i += 1;
        }
        out.push_str(&kept);
        out.push('\n');
    }
    out
}

fn ident_at(chars: &[char], mut i: usize) -> (String, usize) {
    let mut ident = String::new();
    while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
        ident.push(chars[i]);
        i += 1;
    }
    (ident, i)
}

/// A path from `i` on: `a::b::c`, or `a::{b::c, d}` (one level of braces), each as segments.
fn paths_at(chars: &[char], mut i: usize) -> Vec<Vec<String>> {
    let mut prefix = Vec::new();
    loop {
        let (ident, next) = ident_at(chars, i);
        if ident.is_empty() {
            break;
        }
        prefix.push(ident);
        i = next;
        if chars.get(i) == Some(&':') && chars.get(i + 1) == Some(&':') {
            i += 2;
            if chars.get(i) == Some(&'{') {
                let end = chars[i..].iter().position(|&c| c == '}').map(|n| i + n);
                let inner: String = chars[i + 1..end.unwrap_or(chars.len())].iter().collect();
                return inner
                    .split(',')
                    .map(|item| {
                        let mut path = prefix.clone();
                        path.extend(
                            item.split_whitespace()
                                .next()
                                .unwrap_or("")
                                .split("::")
                                .filter(|s| !s.is_empty() && *s != "self" && *s != "*")
                                .map(str::to_owned),
                        );
                        path
                    })
                    .collect();
            }
        } else {
            break;
        }
    }
    vec![prefix]
}

/// Every path the code names, from the crate root: `crate::…`, `super::…` resolved against
/// `module`, and `child::…` of a module's own child modules.
fn referenced_paths(
    module: &[String],
    text: &str,
    modules: &BTreeSet<Vec<String>>,
) -> Vec<Vec<String>> {
    let code = code(text);
    let chars: Vec<char> = code.chars().collect();
    let mut found = Vec::new();
    let starts_word = |i: usize| {
        i == 0 || !(chars[i - 1].is_alphanumeric() || chars[i - 1] == '_' || chars[i - 1] == ':')
    };
    for i in 0..chars.len() {
        if !starts_word(i) {
            continue;
        }
        let rest = |word: &str| chars[i..].iter().take(word.len()).copied().eq(word.chars());
        if rest("crate::") {
            found.extend(paths_at(&chars, i + "crate::".len()));
        } else if rest("super::") {
            // `super::*` in a file's test module means the file itself: no edge.
            let mut parent = module.to_vec();
            parent.pop();
            for path in paths_at(&chars, i + "super::".len()) {
                if path.is_empty() {
                    continue;
                }
                let mut full = parent.clone();
                full.extend(path);
                found.push(full);
            }
        } else {
            // A child module named without `crate::`, as a `mod.rs` or the crate root does.
            let (ident, end) = ident_at(&chars, i);
            let mut child = module.to_vec();
            child.push(ident);
            if chars.get(end) == Some(&':') && modules.contains(&child) {
                for path in paths_at(&chars, i) {
                    let mut full = module.to_vec();
                    full.extend(path);
                    found.push(full);
                }
            }
        }
    }
    found
}

/// The file a path lands in: its longest prefix that is a module with a file.
fn file_of(path: &[String], modules: &BTreeSet<Vec<String>>) -> Vec<String> {
    (0..=path.len())
        .rev()
        .map(|n| path[..n].to_vec())
        .find(|prefix| modules.contains(prefix))
        .unwrap_or_default()
}

fn name(module: &[String]) -> String {
    if module.is_empty() {
        "crate".to_owned()
    } else {
        module.join("::")
    }
}

/// Every breach of the layering in `sources`, as sentences.
fn problems(sources: &[Source]) -> Vec<String> {
    let modules: BTreeSet<Vec<String>> = sources.iter().map(|s| s.module.clone()).collect();
    let mut problems = Vec::new();
    let mut edges: BTreeMap<Vec<String>, BTreeSet<Vec<String>>> = BTreeMap::new();
    for source in sources {
        let layer = source.module.first().map(String::as_str).unwrap_or("");
        let code = code(&source.text);
        for (forbidden_in, crates) in FORBIDDEN_CRATES {
            if layer != *forbidden_in {
                continue;
            }
            for krate in *crates {
                let used = code.match_indices(&format!("{krate}::")).any(|(i, _)| {
                    !code[..i].ends_with(|c: char| c.is_alphanumeric() || c == '_' || c == ':')
                });
                if used {
                    problems.push(format!("{} uses {krate}", name(&source.module)));
                }
            }
        }
        let allowed = ALLOWED_LAYERS
            .iter()
            .find(|(l, _)| *l == layer)
            .map(|(_, a)| *a);
        for path in referenced_paths(&source.module, &source.text, &modules) {
            let target = file_of(&path, &modules);
            if target == source.module {
                continue;
            }
            if let (Some(allowed), Some(used)) = (allowed, target.first()) {
                if !allowed.contains(&used.as_str()) {
                    problems.push(format!(
                        "{} uses {} (the {layer} layer may use only {})",
                        name(&source.module),
                        name(&path),
                        allowed.join(", ")
                    ));
                }
            }
            if let Some(allowed) = allowed {
                if target.is_empty() && !allowed.is_empty() {
                    problems.push(format!(
                        "{} uses {} from the crate root; name the module it comes from",
                        name(&source.module),
                        name(&path)
                    ));
                }
            }
            edges
                .entry(source.module.clone())
                .or_default()
                .insert(target);
        }
    }
    problems.extend(cycles(&modules, &edges));
    problems
}

/// One sentence per import circle found by a depth-first walk.
fn cycles(
    modules: &BTreeSet<Vec<String>>,
    edges: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
) -> Vec<String> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Open,
        Done,
    }
    fn walk(
        node: &[String],
        edges: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
        marks: &mut BTreeMap<Vec<String>, Mark>,
        stack: &mut Vec<Vec<String>>,
        found: &mut Vec<String>,
    ) {
        marks.insert(node.to_vec(), Mark::Open);
        stack.push(node.to_vec());
        for next in edges.get(node).into_iter().flatten() {
            match marks.get(next).copied().unwrap_or(Mark::New) {
                Mark::New => walk(next, edges, marks, stack, found),
                Mark::Open => {
                    let start = stack.iter().position(|m| m == next).expect("on the stack");
                    let circle: Vec<String> = stack[start..]
                        .iter()
                        .chain(std::iter::once(next))
                        .map(|m| name(m))
                        .collect();
                    found.push(format!("import circle: {}", circle.join(" -> ")));
                }
                Mark::Done => {}
            }
        }
        stack.pop();
        marks.insert(node.to_vec(), Mark::Done);
    }
    let mut marks = BTreeMap::new();
    let mut found = Vec::new();
    for module in modules {
        if marks.get(module).copied().unwrap_or(Mark::New) == Mark::New {
            walk(module, edges, &mut marks, &mut Vec::new(), &mut found);
        }
    }
    found
}

#[test]
fn the_gateway_is_layered_without_import_circles() {
    let sources = gateway_sources();
    assert!(
        sources.iter().any(|s| s.module == ["domain", "audit"])
            && sources.iter().any(|s| s.module == ["store", "memory"])
            && sources.iter().any(|s| s.module == ["http", "state"]),
        "the layers are where this test looks for them"
    );
    let problems = problems(&sources);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

fn source(module: &str, text: &str) -> Source {
    Source {
        module: if module.is_empty() {
            vec![]
        } else {
            module.split("::").map(str::to_owned).collect()
        },
        text: text.to_owned(),
    }
}

#[test]
fn the_check_finds_a_layer_breach_a_forbidden_crate_and_a_circle() {
    let clean = [
        source("", "pub mod domain;\npub mod http;\npub use http::state::AppState;"),
        source("domain", "pub mod audit;\npub mod error;"),
        source("domain::audit", "use crate::domain::error::FieldError;\n/// Not `crate::http`.\nconst S: &str = \"crate::http\";"),
        source("domain::error", "use serde::Serialize;"),
        source("http", "pub mod a;\npub mod state;"),
        source("http::a", "use crate::domain::{audit::Audit, error};\nuse crate::http::state::AppState;"),
        source("http::state", "use axum::Router;\nuse crate::domain::audit::Audit;"),
    ];
    assert_eq!(problems(&clean), Vec::<String>::new());

    let breach = [
        source("domain", "pub mod audit;"),
        source(
            "domain::audit",
            "use crate::http::state::AppState;\nuse axum::Json;",
        ),
        source("http", "pub mod state;"),
        source("http::state", "use crate::domain::audit;"),
    ];
    let found = problems(&breach);
    assert!(
        found
            .iter()
            .any(|p| p.starts_with("domain::audit uses http::state::AppState")),
        "{found:?}"
    );
    assert!(
        found.iter().any(|p| p == "domain::audit uses axum"),
        "{found:?}"
    );
    assert!(
        found.iter().any(|p| p.starts_with("import circle:")),
        "{found:?}"
    );

    let through_parent = [
        source("http", "pub mod a;\npub fn router() { a::routes() }"),
        source(
            "http::a",
            "pub fn routes() {}\nfn f() { crate::http::router() }\nmod tests { use super::*; }",
        ),
    ];
    assert_eq!(
        problems(&through_parent),
        vec!["import circle: http -> http::a -> http".to_owned()]
    );

    let circle = [
        source("http", "pub mod a;\npub mod b;"),
        source("http::a", "fn f() { crate::http::b::g() }"),
        source("http::b", "use super::a::f;"),
    ];
    assert_eq!(
        problems(&circle),
        vec!["import circle: http::a -> http::b -> http::a".to_owned()]
    );
}
