//! Reading typed numbers into E.164 (`phone::normalize`), shared calling
//! codes in `phone::classify`, and masking.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use tollgate::phone::{self, NumberType, PhoneError};
use tollgate::{Country, E164};

fn country(code: &str) -> Country {
    code.parse().unwrap()
}

fn e164(input: &str, region: Option<&str>) -> Result<String, PhoneError> {
    phone::normalize(input, region.map(country)).map(|e| format!("+{}", e.digits()))
}

#[test]
fn separators_and_international_prefixes() {
    let want = Ok("+447400123456".to_string());
    for typed in [
        "+447400123456",
        "+44 7400 123456",
        "+44-7400-123-456",
        "+44.7400.123.456",
        "+44 (0) 7400 123456",
        "(+44) 7400/123456",
        "0044 7400 123456",
        "011 44 7400 123456",
        "  +44\u{a0}7400\u{2013}123456 ",
        "\u{ff0b}447400123456",
    ] {
        assert_eq!(e164(typed, None), want, "{typed}");
    }
}

#[test]
fn national_numbers_use_the_default_region() {
    let cases = [
        ("07400 123456", "GB", "+447400123456"),
        ("(201) 555-0123", "US", "+12015550123"),
        ("1 201 555 0123", "US", "+12015550123"),
        ("011 44 7400 123456", "US", "+447400123456"),
        ("00 44 7400 123456", "GB", "+447400123456"),
        ("8 (912) 345-67-89", "RU", "+79123456789"),
        ("06 12 34 56 78", "FR", "+33612345678"),
        ("06 6982 1234", "IT", "+390669821234"),
        ("030 123456", "DE", "+4930123456"),
        ("+49 (0)30 123456", "DE", "+4930123456"),
        ("+1 201 555 0123", "DE", "+12015550123"),
        ("256789", "GG", "+441481256789"),
        ("49 30 123456", "DE", "+4930123456"),
        ("44 7400 123456", "GB", "+447400123456"),
        ("33 6 12 34 56 78", "FR", "+33612345678"),
        ("7 912 345 67 89", "RU", "+79123456789"),
        ("39 06 6982 1234", "IT", "+390669821234"),
        ("357 1234", "BS", "+12423571234"),
        ("011 15 2345-6789", "AR", "+5491123456789"),
    ];
    for (typed, region, want) in cases {
        assert_eq!(e164(typed, Some(region)), Ok(want.to_string()), "{typed} in {region}");
    }
}

#[test]
fn invalid_input_gets_a_typed_error() {
    let cases = [
        ("", None, PhoneError::Empty),
        (" - ( ) ", None, PhoneError::Empty),
        ("+44 7400 12345a", None, PhoneError::InvalidCharacter),
        ("1-800-FLOWERS", Some("US"), PhoneError::InvalidCharacter),
        ("+44 7400 123456 ext. 12", None, PhoneError::InvalidCharacter),
        ("44+7400123456", None, PhoneError::InvalidCharacter),
        ("++447400123456", None, PhoneError::InvalidCharacter),
        ("tel:+447400123456", None, PhoneError::InvalidCharacter),
        ("7400 123456", None, PhoneError::MissingCallingCode),
        ("+999 123 4567", None, PhoneError::UnknownCallingCode),
        ("+44 12", None, PhoneError::TooShort),
        ("+44 1234 5678 9012 3456", None, PhoneError::TooLong),
        ("07400 123456", Some("ZZ"), PhoneError::UnknownRegion),
    ];
    for (typed, region, want) in cases {
        assert_eq!(e164(typed, region), Err(want), "{typed}");
    }
    assert_eq!(e164(&"1 ".repeat(40), None), Err(PhoneError::TooLong));
}

#[test]
fn errors_never_quote_the_number() {
    for typed in ["+44 7400 12345a", "+999 123 4567", "+44 12", "7400 123456"] {
        let message = phone::normalize(typed, None).unwrap_err().to_string();
        assert!(!message.bytes().any(|b| b.is_ascii_digit()), "{message}");
    }
}

#[test]
fn shared_calling_codes_go_to_their_territory() {
    let cases = [
        ("+12015550123", Some("US"), NumberType::FixedLineOrMobile),
        ("+16135550123", Some("CA"), NumberType::FixedLineOrMobile),
        ("+18762101234", Some("JM"), NumberType::Mobile),
        ("+19002345678", Some("US"), NumberType::PremiumRate),
        ("+79123456789", Some("RU"), NumberType::Mobile),
        ("+77710009998", Some("KZ"), NumberType::Mobile),
        ("+447797712345", Some("JE"), NumberType::Mobile),
        ("+441481256789", Some("GG"), NumberType::FixedLine),
        ("+447624567890", Some("IM"), NumberType::Mobile),
        ("+449012345678", Some("GB"), NumberType::PremiumRate),
        ("+262692123456", Some("RE"), NumberType::Mobile),
        ("+262269601234", Some("YT"), NumberType::FixedLine),
        ("+5999 4612345", Some("CW"), NumberType::FixedLine),
        ("+599 7151234", Some("BQ"), NumberType::FixedLine),
        ("+80012345678", None, NumberType::TollFree),
        ("+88213456789", None, NumberType::Voip),
    ];
    for (number, want_country, want_type) in cases {
        let info = phone::classify(&phone::normalize(number, None).unwrap());
        assert_eq!(info.country, want_country.map(country), "{number}");
        assert_eq!(info.number_type, want_type, "{number}");
    }
}

#[test]
fn unassigned_or_invalid_numbers_are_unknown() {
    let info = phone::classify(&"+9991234567".parse::<E164>().unwrap());
    assert_eq!(
        (info.calling_code, info.country, info.number_type),
        (0, None, NumberType::Unknown)
    );
    // A single-territory code keeps its country even for an invalid number.
    let info = phone::classify(&"+33012345678".parse::<E164>().unwrap());
    assert_eq!(
        (info.country, info.number_type),
        (Some(country("FR")), NumberType::Unknown)
    );
    assert!(!info.is_valid());
}

#[test]
fn numbers_are_masked_in_debug() {
    let number = phone::normalize("+44 7797 712345", None).unwrap();
    let info = phone::classify(&number);
    let shown = format!("{info:?} {number}");
    assert!(shown.contains("+44********45"), "{shown}");
    assert!(!shown.contains("7797") && !shown.contains("712345"), "{shown}");
}

/// Example numbers and valid mutations of them as libphonenumber formats
/// them nationally and internationally, read back in their region
/// (`tests/data/phone/national.tsv`, from `phonenumbers`).
#[test]
fn national_formats_read_back_as_libphonenumber_does() {
    let mut wrong = Vec::new();
    let mut total = 0;
    for line in include_str!("data/phone/national.tsv")
        .lines()
        .filter(|l| !l.starts_with('#'))
    {
        let [typed, region, want] = line.split('\t').collect::<Vec<_>>()[..] else {
            panic!("bad line {line}");
        };
        let got = e164(typed, Some(region));
        if got.as_deref() != Ok(want) {
            wrong.push(format!("{typed} in {region}: got {got:?}, want {want}"));
        }
        total += 1;
    }
    assert!(total > 14000, "{total} numbers");
    assert!(
        wrong.is_empty(),
        "{} of {total} differ:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

proptest::proptest! {
    /// Separators anywhere after the `+` change nothing.
    #[test]
    fn separators_anywhere_change_nothing(
        national in "[1-9][0-9]{9}",
        seps in proptest::collection::vec(proptest::sample::select(vec!["", " ", "-", ".", "(", ")", "/", " - "]), 12),
    ) {
        let plain = phone::normalize(&format!("+49{national}"), None);
        let spaced: String = "49".chars().chain(national.chars())
            .zip(&seps)
            .map(|(d, s)| format!("{s}{d}"))
            .collect();
        proptest::prop_assert_eq!(phone::normalize(&format!("+{spaced}"), None), plain);
    }

    /// Any text gives a number or an error, and an error quotes no digit.
    #[test]
    fn any_text_is_read_or_refused(text in "\\PC{0,40}", region in proptest::sample::select(vec![None, Some("GB"), Some("US"), Some("AR")])) {
        match phone::normalize(&text, region.map(country)) {
            Ok(number) => proptest::prop_assert!(phone::classify(&number).calling_code > 0),
            Err(e) => proptest::prop_assert!(!e.to_string().bytes().any(|b| b.is_ascii_digit())),
        }
    }
}
