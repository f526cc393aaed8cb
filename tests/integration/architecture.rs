//! The architecture as the README draws it, checked on the source: the top-level modules form no
//! cycle (a module never imports one that imports it back), and the lower layers stay below the
//! ones built on them: configuration knows only coordinates, the release knows nothing of the
//! measurements made from it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Each top-level module of `src/` and the top-level modules its code names as `crate::…`
/// (comments left out; unit-test modules counted).
fn module_graph(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut stack = vec![src.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let relative = path.strip_prefix(src).unwrap();
            let top = relative.components().next().unwrap().as_os_str().to_string_lossy().trim_end_matches(".rs").to_string();
            // Unit tests count too: a test module that imports upward closes a cycle as well.
            let code = std::fs::read_to_string(&path).unwrap();
            let uses = graph.entry(top.clone()).or_default();
            for line in code.lines().filter(|l| !l.trim_start().starts_with("//")) {
                for (at, _) in line.match_indices("crate::") {
                    let name: String = line[at + 7..].chars().take_while(|c| c.is_ascii_lowercase() || *c == '_').collect();
                    if !name.is_empty() && name != top {
                        uses.insert(name);
                    }
                }
            }
        }
    }
    graph
}

/// A path of modules that leads back to its start, if there is one.
fn cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(node: &str, graph: &BTreeMap<String, BTreeSet<String>>, path: &mut Vec<String>, done: &mut BTreeSet<String>) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|p| p == node) {
            return Some(path[at..].iter().cloned().chain([node.to_string()]).collect());
        }
        if !done.insert(node.to_string()) {
            return None;
        }
        path.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(found) = visit(next, graph, path, done) {
                return Some(found);
            }
        }
        path.pop();
        None
    }
    let mut done = BTreeSet::new();
    graph.keys().find_map(|start| visit(start, graph, &mut Vec::new(), &mut done))
}

#[test]
fn the_modules_form_no_cycle_and_the_lower_layers_stay_below() {
    let graph = module_graph(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    assert!(graph.len() > 10, "{graph:?}");
    assert_eq!(cycle(&graph), None, "a cycle among the top-level modules");
    assert_eq!(graph["config"], BTreeSet::from(["spatial".to_string()]), "configuration depends on coordinates only");
    assert!(!graph["release"].contains("measurement"), "the release is below the measurements made from it: {:?}", graph["release"]);
    for lower in ["spatial", "figure", "privacy", "config", "store", "analysis"] {
        for upper in ["api", "report", "siting", "measurement", "bench"] {
            assert!(!graph[lower].contains(upper), "{lower} imports {upper}");
        }
    }
}

#[test]
fn the_cycle_check_finds_a_cycle() {
    let graph: BTreeMap<String, BTreeSet<String>> =
        [("a", "b"), ("b", "c"), ("c", "a")].into_iter().map(|(k, v)| (k.to_string(), BTreeSet::from([v.to_string()]))).collect();
    assert_eq!(cycle(&graph), Some(["a", "b", "c", "a"].map(String::from).to_vec()));
}

/// Lines outside `src/store` that hold a database connection (`duckdb::`, `.conn()`,
/// `.conn_mut()`), by file.
fn connections_outside_the_store(src: &Path) -> BTreeMap<String, usize> {
    let mut found = BTreeMap::new();
    let mut stack = vec![src.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().map(Result::unwrap) {
            let path = entry.path();
            if path.is_dir() {
                if path.file_name().is_some_and(|n| n != "store") || dir != src {
                    stack.push(path);
                }
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                let holds = |l: &str| ["duckdb::", "use duckdb", "duckdb as ", "extern crate duckdb", ".conn()", ".conn_mut()"].iter().any(|p| l.contains(p));
                let n = text.lines().filter(|l| holds(l)).count();
                if n > 0 {
                    found.insert(path.strip_prefix(src).unwrap().display().to_string(), n);
                }
            }
        }
    }
    found
}

/// The store alone speaks SQL: no line outside `src/store` holds a connection (83 at the start
/// of session 11, 38 after it, none since the [`bomiljo::store::Database`] trait).
#[test]
fn no_connection_outside_the_store() {
    let found = connections_outside_the_store(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    assert!(found.is_empty(), "lines outside src/store hold a database connection: {found:?}");
}
