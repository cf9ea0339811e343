//! libphonenumber's own example numbers, with the type and region
//! libphonenumber (the `phonenumbers` 9.0.33 port) gives them, from
//! `$TOLLGATE_TESTDATA/phone/libphonenumber_examples.jsonl`.
//!
//! Every `national` and `non_geographic` record must classify to the same
//! type and region, and its national spelling, read in its region, must
//! normalise to the same E.164. Every `short_number` record must get the
//! cost libphonenumber's `expected_cost_for_region` gives it.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use std::path::PathBuf;

use serde_json::Value;
use tollgate::phone::{self, NumberType, ShortNumberCost};
use tollgate::{Country, E164};

fn vectors_path() -> Option<PathBuf> {
    let Some(root) = std::env::var_os("TOLLGATE_TESTDATA") else {
        eprintln!("skipping: TOLLGATE_TESTDATA unset");
        return None;
    };
    let path = PathBuf::from(root).join("phone").join("libphonenumber_examples.jsonl");
    assert!(
        path.is_file(),
        "TOLLGATE_TESTDATA is set but {} is missing",
        path.display()
    );
    Some(path)
}

fn records(kinds: &[&str]) -> Option<Vec<Value>> {
    let text = std::fs::read_to_string(vectors_path()?).unwrap();
    Some(
        text.lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap())
            .filter(|r| kinds.contains(&r["kind"].as_str().unwrap()))
            .collect(),
    )
}

fn type_named(name: &str) -> NumberType {
    match name {
        "FIXED_LINE" => NumberType::FixedLine,
        "MOBILE" => NumberType::Mobile,
        "FIXED_LINE_OR_MOBILE" => NumberType::FixedLineOrMobile,
        "TOLL_FREE" => NumberType::TollFree,
        "PREMIUM_RATE" => NumberType::PremiumRate,
        "SHARED_COST" => NumberType::SharedCost,
        "VOIP" => NumberType::Voip,
        "PERSONAL_NUMBER" => NumberType::PersonalNumber,
        "PAGER" => NumberType::Pager,
        "UAN" => NumberType::Uan,
        "VOICEMAIL" => NumberType::Voicemail,
        "UNKNOWN" => NumberType::Unknown,
        other => panic!("unexpected type {other}"),
    }
}

/// libphonenumber's region: a country, `001` (non-geographic) or none.
fn country_named(region: &Value) -> Option<Country> {
    region.as_str().filter(|r| *r != "001").map(|r| r.parse().unwrap())
}

#[test]
fn examples_classify_as_libphonenumber_does() {
    let Some(records) = records(&["national", "non_geographic"]) else {
        return;
    };
    assert!(records.len() > 1100, "{} records", records.len());
    let mut wrong = Vec::new();
    let mut premium = 0;
    for r in &records {
        let e164: E164 = r["e164"].as_str().unwrap().parse().unwrap();
        let info = phone::classify(&e164);
        let want_type = type_named(r["expected_type"].as_str().unwrap());
        let want_country = country_named(&r["region_for_number"]);
        let want_code = u16::try_from(r["country_code"].as_u64().unwrap()).unwrap();
        if (info.number_type, info.country, info.calling_code) != (want_type, want_country, want_code) {
            wrong.push(format!(
                "{} {}: got {:?} {:?} {}, want {want_type:?} {want_country:?} {want_code}",
                r["region"], r["e164"], info.number_type, info.country, info.calling_code
            ));
        }
        assert_eq!(info.is_valid(), r["is_valid"].as_bool().unwrap(), "{}", r["e164"]);
        premium += usize::from(info.number_type == NumberType::PremiumRate);
    }
    assert!(
        wrong.is_empty(),
        "{} of {} differ:\n{}",
        wrong.len(),
        records.len(),
        wrong.join("\n")
    );
    assert!(premium >= 150, "{premium} premium-rate examples");
}

#[test]
fn national_spellings_normalise_to_the_same_number() {
    let Some(records) = records(&["national"]) else {
        return;
    };
    let mut wrong = Vec::new();
    for r in &records {
        let region: Country = r["region"].as_str().unwrap().parse().unwrap();
        let national = r["national_example"].as_str().unwrap();
        let want = r["e164"].as_str().unwrap();
        match phone::normalize(national, Some(region)) {
            Ok(got) if format!("+{}", got.digits()) == want => {}
            other => wrong.push(format!("{region} {national}: got {other:?}, want {want}")),
        }
        let international = phone::normalize(want, Some(region)).unwrap();
        assert_eq!(format!("+{}", international.digits()), want);
    }
    assert!(
        wrong.is_empty(),
        "{} of {} differ:\n{}",
        wrong.len(),
        records.len(),
        wrong.join("\n")
    );
}

#[test]
fn short_codes_cost_what_libphonenumber_says() {
    let Some(records) = records(&["short_number"]) else {
        return;
    };
    assert!(records.len() > 700, "{} records", records.len());
    let mut wrong = Vec::new();
    let mut premium = 0;
    for r in &records {
        let region: Country = r["region"].as_str().unwrap().parse().unwrap();
        let number = r["short_example"].as_str().unwrap();
        let want = match r["expected_cost"].as_str().unwrap() {
            "TOLL_FREE" => ShortNumberCost::TollFree,
            "STANDARD_RATE" => ShortNumberCost::StandardRate,
            "PREMIUM_RATE" => ShortNumberCost::PremiumRate,
            "UNKNOWN_COST" => ShortNumberCost::Unknown,
            other => panic!("unexpected cost {other}"),
        };
        let got = phone::short_number_cost(number, region);
        if got != want {
            wrong.push(format!(
                "{region} {number} ({}): got {got:?}, want {want:?}",
                r["metadata_field"]
            ));
        }
        premium += usize::from(got == ShortNumberCost::PremiumRate);
    }
    assert!(
        wrong.is_empty(),
        "{} of {} differ:\n{}",
        wrong.len(),
        records.len(),
        wrong.join("\n")
    );
    assert_eq!(premium, 45);
}
