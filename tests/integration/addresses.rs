//! Addresses from a file in the form of Kartverket's address CSV (semicolons, CRLF, UTM 33 `Nord`
//! and `Øst`, gnr/bnr), found by street address and by gnr/bnr in the CLI, the API and `score`.
//! The fixture's positions were projected from WGS84 with PROJ's `cs2cs` (EPSG:4326 to 25833), so
//! the answers must give back those degrees.

use serde_json::Value;

use crate::common::{Server, bomiljo, fixture, import_ok, oslo};

fn address_db(dir: &std::path::Path) -> std::path::PathBuf {
    let db = dir.join("addresses.duckdb");
    import_ok(&db, "delbydeler", &oslo("delbydeler.geojson"), &[]);
    import_ok(&db, "addresses", &fixture("addresses/adresser-0301-utm33.csv"), &[]);
    db
}

fn found(db: &std::path::Path, query: &str) -> Vec<Value> {
    let out = bomiljo(db, &["address", query, "--json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice::<Vec<Value>>(&out.stdout).unwrap()
}

fn texts(hits: &[Value]) -> Vec<&str> {
    hits.iter().map(|h| h["text"].as_str().unwrap()).collect()
}

#[test]
fn addresses_are_found_by_street_and_number_and_by_gnr_bnr_at_their_own_position() {
    let dir = tempfile::tempdir().unwrap();
    let db = address_db(dir.path());
    // The street's beginning, any case and accents; the number exact; the letter when given.
    assert_eq!(texts(&found(&db, "trondheimsv 2")), ["Trondheimsveien 2A", "Trondheimsveien 2B"]);
    assert_eq!(texts(&found(&db, "Trondheimsveien 2 b")), ["Trondheimsveien 2B"]);
    assert_eq!(texts(&found(&db, "ovre slottsgate 2")), ["Øvre Slottsgate 2"]);
    assert!(found(&db, "Trondheimsveien 3").is_empty());
    // As pasted from a letter: the postcode after a comma is left out.
    assert_eq!(texts(&found(&db, "Trondheimsveien 2A, 0550 Oslo")), ["Trondheimsveien 2A"]);
    // A number too large for a house, a word where a letter goes, or one letter of a street finds
    // nothing, rather than every address of the street (or of half the city).
    for query in ["Trondheimsveien 99999999999", "Trondheimsveien 2 abc", "T 2", "t"] {
        assert!(found(&db, query).is_empty(), "{query}");
    }
    // gnr/bnr as planners write it.
    for query in ["228/100", "gnr 228 bnr 100", "gnr. 228, bnr. 100", "228/100/0/0"] {
        assert_eq!(texts(&found(&db, query)), ["Trondheimsveien 2A", "Trondheimsveien 2B"], "{query}");
    }
    let grorud = &found(&db, "Grorudveien 50")[0];
    assert!((grorud["lat"].as_f64().unwrap() - 59.961).abs() < 1e-6 && (grorud["lon"].as_f64().unwrap() - 10.881).abs() < 1e-6, "{grorud}");
    assert_eq!((grorud["gnr"].clone(), grorud["bnr"].clone()), (Value::from(96), Value::from(12)));
    // A site named by its address is scored there; an ambiguous one is refused with the choices.
    let out = bomiljo(&db, &["score", "--group", "1", "--address", "Rådhusplassen 1", "--json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("Rådhusplassen 1: 59.912000, 10.733500"));
    let out = bomiljo(&db, &["score", "--group", "1", "--address", "Trondheimsveien 2"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("matches 2 addresses (Trondheimsveien 2A, Trondheimsveien 2B)"));
    // The API answers from the same copy, with no query leaving the server.
    let server = Server::start(&db, 0).expect("server starts");
    let hits = server.get_json("/api/addresses?q=228%2F100");
    assert_eq!(hits.as_array().unwrap().len(), 2);
    assert_eq!(hits[0]["lat"], 59.9166);
    assert_eq!(server.get("/api/addresses?q=").0, 400);
    assert_eq!(server.get_json("/api/addresses?q=Nowhere%201"), Value::Array(vec![]));
}
