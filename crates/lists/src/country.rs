//! Country names as the lists write them, turned into ISO 3166-1 alpha-2 codes where that is
//! certain.
//!
//! The table holds the spellings the OFAC, UN, BIS and Federal Register files actually use
//! (including "Korea, North", "Burma", "Iran (Islamic Republic of)" and "CHINA, PEOPLE'S REPUBLIC
//! OF"). Names that are not countries, or whose code would be a judgement (regions such as
//! "Region: Crimea", "West Bank", "former Soviet Union", "Netherlands Antilles", "Kosovo"), are not
//! in it and keep the list's own spelling.

use crate::text::clean;

/// Lower-case name and its ISO 3166-1 alpha-2 code.
const NAMES: &[(&str, &str)] = &[
    ("afghanistan", "AF"),
    ("albania", "AL"),
    ("algeria", "DZ"),
    ("andorra", "AD"),
    ("angola", "AO"),
    ("antigua and barbuda", "AG"),
    ("argentina", "AR"),
    ("armenia", "AM"),
    ("aruba", "AW"),
    ("australia", "AU"),
    ("austria", "AT"),
    ("azerbaijan", "AZ"),
    ("bahamas", "BS"),
    ("bahamas, the", "BS"),
    ("the bahamas", "BS"),
    ("bahrain", "BH"),
    ("bangladesh", "BD"),
    ("barbados", "BB"),
    ("belarus", "BY"),
    ("belgium", "BE"),
    ("belize", "BZ"),
    ("benin", "BJ"),
    ("bermuda", "BM"),
    ("bhutan", "BT"),
    ("bolivia", "BO"),
    ("bosnia and herzegovina", "BA"),
    ("botswana", "BW"),
    ("brazil", "BR"),
    ("british virgin islands", "VG"),
    ("virgin islands, british", "VG"),
    ("brunei", "BN"),
    ("brunei darussalam", "BN"),
    ("bulgaria", "BG"),
    ("burkina faso", "BF"),
    ("burma", "MM"),
    ("myanmar", "MM"),
    ("burundi", "BI"),
    ("cabo verde", "CV"),
    ("cape verde", "CV"),
    ("cambodia", "KH"),
    ("cameroon", "CM"),
    ("canada", "CA"),
    ("cayman islands", "KY"),
    ("central african republic", "CF"),
    ("chad", "TD"),
    ("chile", "CL"),
    ("china", "CN"),
    ("people's republic of china", "CN"),
    ("china, people's republic of", "CN"),
    ("prc", "CN"),
    ("hong kong", "HK"),
    ("china, hong kong special administrative region", "HK"),
    ("macau", "MO"),
    ("macao", "MO"),
    ("colombia", "CO"),
    ("comoros", "KM"),
    ("congo", "CG"),
    ("congo, republic of the", "CG"),
    ("republic of the congo", "CG"),
    ("congo, democratic republic of the", "CD"),
    ("democratic republic of the congo", "CD"),
    ("costa rica", "CR"),
    ("cote d ivoire", "CI"),
    ("cote d'ivoire", "CI"),
    ("côte d'ivoire", "CI"),
    ("croatia", "HR"),
    ("cuba", "CU"),
    ("cyprus", "CY"),
    ("czech republic", "CZ"),
    ("czechia", "CZ"),
    ("denmark", "DK"),
    ("djibouti", "DJ"),
    ("dominica", "DM"),
    ("dominican republic", "DO"),
    ("ecuador", "EC"),
    ("egypt", "EG"),
    ("el salvador", "SV"),
    ("equatorial guinea", "GQ"),
    ("eritrea", "ER"),
    ("estonia", "EE"),
    ("ethiopia", "ET"),
    ("fiji", "FJ"),
    ("finland", "FI"),
    ("france", "FR"),
    ("gabon", "GA"),
    ("gambia", "GM"),
    ("the gambia", "GM"),
    ("gambia, the", "GM"),
    ("georgia", "GE"),
    ("germany", "DE"),
    ("ghana", "GH"),
    ("gibraltar", "GI"),
    ("greece", "GR"),
    ("guatemala", "GT"),
    ("guernsey", "GG"),
    ("guinea", "GN"),
    ("guinea-bissau", "GW"),
    ("guyana", "GY"),
    ("haiti", "HT"),
    ("honduras", "HN"),
    ("hungary", "HU"),
    ("iceland", "IS"),
    ("india", "IN"),
    ("indonesia", "ID"),
    ("iran", "IR"),
    ("iran (islamic republic of)", "IR"),
    ("iraq", "IQ"),
    ("ireland", "IE"),
    ("isle of man", "IM"),
    ("man, isle of", "IM"),
    ("israel", "IL"),
    ("italy", "IT"),
    ("jamaica", "JM"),
    ("japan", "JP"),
    ("jersey", "JE"),
    ("jordan", "JO"),
    ("kazakhstan", "KZ"),
    ("kenya", "KE"),
    ("korea, north", "KP"),
    ("north korea", "KP"),
    ("democratic people's republic of korea", "KP"),
    ("korea, democratic people's republic of", "KP"),
    ("korea, south", "KR"),
    ("south korea", "KR"),
    ("republic of korea", "KR"),
    ("korea, republic of", "KR"),
    ("kuwait", "KW"),
    ("kyrgyzstan", "KG"),
    ("laos", "LA"),
    ("lao people's democratic republic", "LA"),
    ("latvia", "LV"),
    ("lebanon", "LB"),
    ("liberia", "LR"),
    ("libya", "LY"),
    ("liechtenstein", "LI"),
    ("lithuania", "LT"),
    ("luxembourg", "LU"),
    ("madagascar", "MG"),
    ("malawi", "MW"),
    ("malaysia", "MY"),
    ("maldives", "MV"),
    ("mali", "ML"),
    ("malta", "MT"),
    ("marshall islands", "MH"),
    ("mauritania", "MR"),
    ("mauritius", "MU"),
    ("mexico", "MX"),
    ("moldova", "MD"),
    ("republic of moldova", "MD"),
    ("monaco", "MC"),
    ("mongolia", "MN"),
    ("montenegro", "ME"),
    ("morocco", "MA"),
    ("mozambique", "MZ"),
    ("namibia", "NA"),
    ("nepal", "NP"),
    ("netherlands", "NL"),
    ("the netherlands", "NL"),
    ("new zealand", "NZ"),
    ("nicaragua", "NI"),
    ("niger", "NE"),
    ("nigeria", "NG"),
    ("north macedonia", "MK"),
    ("north macedonia, the republic of", "MK"),
    ("macedonia, the former yugoslav republic of", "MK"),
    ("norway", "NO"),
    ("oman", "OM"),
    ("pakistan", "PK"),
    ("palau", "PW"),
    ("state of palestine", "PS"),
    ("panama", "PA"),
    ("papua new guinea", "PG"),
    ("paraguay", "PY"),
    ("peru", "PE"),
    ("philippines", "PH"),
    ("poland", "PL"),
    ("portugal", "PT"),
    ("qatar", "QA"),
    ("romania", "RO"),
    ("russia", "RU"),
    ("russian federation", "RU"),
    ("rwanda", "RW"),
    ("saint kitts and nevis", "KN"),
    ("st. kitts & nevis", "KN"),
    ("st. kitts and nevis", "KN"),
    ("saint lucia", "LC"),
    ("saint vincent and the grenadines", "VC"),
    ("st. vincent and the grenadines", "VC"),
    ("samoa", "WS"),
    ("san marino", "SM"),
    ("saudi arabia", "SA"),
    ("senegal", "SN"),
    ("serbia", "RS"),
    ("seychelles", "SC"),
    ("sierra leone", "SL"),
    ("singapore", "SG"),
    ("slovakia", "SK"),
    ("slovenia", "SI"),
    ("somalia", "SO"),
    ("south africa", "ZA"),
    ("south sudan", "SS"),
    ("spain", "ES"),
    ("sri lanka", "LK"),
    ("sudan", "SD"),
    ("suriname", "SR"),
    ("sweden", "SE"),
    ("switzerland", "CH"),
    ("syria", "SY"),
    ("syrian arab republic", "SY"),
    ("taiwan", "TW"),
    ("tajikistan", "TJ"),
    ("tanzania", "TZ"),
    ("united republic of tanzania", "TZ"),
    ("thailand", "TH"),
    ("togo", "TG"),
    ("trinidad and tobago", "TT"),
    ("tunisia", "TN"),
    ("turkey", "TR"),
    ("türkiye", "TR"),
    ("turkiye", "TR"),
    ("turkmenistan", "TM"),
    ("uganda", "UG"),
    ("ukraine", "UA"),
    ("united arab emirates", "AE"),
    ("united kingdom", "GB"),
    ("united kingdom of great britain and northern ireland", "GB"),
    ("united states", "US"),
    ("united states of america", "US"),
    ("uruguay", "UY"),
    ("uzbekistan", "UZ"),
    ("vanuatu", "VU"),
    ("venezuela", "VE"),
    ("vietnam", "VN"),
    ("viet nam", "VN"),
    ("yemen", "YE"),
    ("zambia", "ZM"),
    ("zimbabwe", "ZW"),
];

/// Placeholders lists write where they have no country; they are dropped, not kept as countries.
const NONE: &[&str] = &["-0-", "na", "n/a", "none", "none identified", "unknown", "undetermined"];

/// The ISO 3166-1 alpha-2 code for a country name the lists use, if the table knows it.
pub fn country_code(name: &str) -> Option<&'static str> {
    let key = clean(name)?.to_lowercase();
    NAMES.iter().find(|(n, _)| *n == key).map(|(_, code)| *code)
}

/// A country as we store it: an upper-case two-letter code as given, a known name as its code,
/// anything else as the list spells it; placeholders for "no country" give `None`.
pub(crate) fn normalize(raw: &str) -> Option<String> {
    let text = clean(raw)?;
    // Codes first: "NA" is Namibia, while a lower-case "na" is a placeholder.
    if text.len() == 2 && text.bytes().all(|b| b.is_ascii_uppercase()) {
        return Some(text);
    }
    if NONE.contains(&text.to_lowercase().as_str()) {
        return None;
    }
    Some(country_code(&text).map_or(text, str::to_owned))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_the_spellings_the_lists_use() {
        for (name, code) in [
            ("China", "CN"),
            ("Hong Kong", "HK"),
            ("Russia", "RU"),
            ("Iran", "IR"),
            ("Korea, North", "KP"),
            ("CHINA, PEOPLE'S REPUBLIC OF", "CN"),
            ("Iran (Islamic Republic of)", "IR"),
            ("Democratic People's Republic of Korea", "KP"),
            ("Türkiye", "TR"),
        ] {
            assert_eq!(country_code(name), Some(code), "{name}");
        }
    }

    #[test]
    fn keeps_what_it_cannot_map_and_drops_placeholders() {
        assert_eq!(normalize("KP").as_deref(), Some("KP"));
        assert_eq!(normalize("Region: Crimea").as_deref(), Some("Region: Crimea"));
        assert_eq!(normalize(" -0- "), None);
        assert_eq!(normalize("na"), None);
        assert_eq!(normalize("NA").as_deref(), Some("NA"));
    }

    #[test]
    fn table_has_no_duplicate_names_and_only_two_letter_codes() {
        let mut names: Vec<&str> = NAMES.iter().map(|(n, _)| *n).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), NAMES.len());
        assert!(NAMES.iter().all(|(n, c)| c.len() == 2 && *n == n.to_lowercase()));
    }
}
