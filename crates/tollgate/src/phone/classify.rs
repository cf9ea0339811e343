//! Country and number type of an E.164 number, as libphonenumber's
//! `region_code_for_number` and `number_type` decide them.
//!
//! ```
//! let info = tollgate::phone::classify(&"+19002345678".parse()?);
//! assert_eq!(info.number_type, tollgate::phone::NumberType::PremiumRate);
//! # Ok::<(), tollgate::FieldError>(())
//! ```

use super::metadata::{Desc, Region, table};
use super::{NumberType, PhoneInfo};
use crate::E164;

/// Types checked before fixed line and mobile, in libphonenumber's order:
/// a number in a premium-rate range is premium rate whatever else it fits.
const SPECIAL: [NumberType; 8] = [
    NumberType::PremiumRate,
    NumberType::TollFree,
    NumberType::SharedCost,
    NumberType::Voip,
    NumberType::PersonalNumber,
    NumberType::Pager,
    NumberType::Uan,
    NumberType::Voicemail,
];

/// The country and type of `phone` by its numbering plan.
///
/// For a calling code shared by several territories the number goes to the
/// first whose leading digits it starts with (NANP area codes, `+7 7` for
/// Kazakhstan, the crown dependencies in `+44` ...), or else whose ranges it
/// fits, the code's main country first.
///
/// ```
/// use tollgate::phone::{classify, NumberType};
///
/// let info = classify(&"+447400123456".parse()?);
/// assert_eq!((info.calling_code, info.country.map(|c| c.to_string())), (44, Some("GB".into())));
/// assert_eq!(info.number_type, NumberType::Mobile);
/// // Ofcom's range for drama is in no plan, so in none of +44's territories.
/// let info = classify(&"+447700900123".parse()?);
/// assert_eq!((info.calling_code, info.country, info.number_type), (44, None, NumberType::Unknown));
/// let info = classify(&"+80012345678".parse()?);
/// assert_eq!((info.country, info.number_type), (None, NumberType::TollFree));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn classify(phone: &E164) -> PhoneInfo {
    let table = table();
    let digits = phone.digits().as_bytes();
    let Some((calling_code, len)) = table.split_calling_code(digits) else {
        return PhoneInfo {
            e164: *phone,
            calling_code: 0,
            country: None,
            number_type: NumberType::Unknown,
        };
    };
    let national = digits.get(len..).unwrap_or_default();
    let (region, number_type) = match table.regions(calling_code) {
        [only] => (Some(only), number_type(only, national)),
        regions => regions
            .iter()
            .find_map(|region| {
                let leading = region.leading_digits.as_ref();
                if let Some(leading) = leading {
                    leading
                        .match_len(national)
                        .map(|_| (Some(region), number_type(region, national)))
                } else {
                    let t = number_type(region, national);
                    (t != NumberType::Unknown).then_some((Some(region), t))
                }
            })
            .unwrap_or((None, NumberType::Unknown)),
    };
    PhoneInfo {
        e164: *phone,
        calling_code,
        country: region.and_then(|r| r.country),
        number_type,
    }
}

/// libphonenumber's `_number_type_helper`.
fn number_type(region: &Region, national: &[u8]) -> NumberType {
    let mask = region.matching(national);
    if mask == 0 {
        return NumberType::Unknown;
    }
    let fits = |wanted: Desc| {
        region
            .descs
            .iter()
            .enumerate()
            .any(|(i, &(d, _))| d == wanted && mask & (1 << i) != 0)
    };
    if !fits(Desc::General) {
        return NumberType::Unknown;
    }
    if let Some(&special) = SPECIAL.iter().find(|&&t| fits(Desc::Type(t))) {
        return special;
    }
    let mobile = || fits(Desc::Type(NumberType::Mobile));
    if fits(Desc::Type(NumberType::FixedLine)) {
        if region.same_mobile_and_fixed || mobile() {
            NumberType::FixedLineOrMobile
        } else {
            NumberType::FixedLine
        }
    } else if !region.same_mobile_and_fixed && mobile() {
        NumberType::Mobile
    } else {
        NumberType::Unknown
    }
}
