//! `OptPlatform`: where the triggering request came from (the values are listed at
//! <https://trtc.io/document/34354> and <https://trtc.io/document/64412>).

use std::fmt;

/// The `OptPlatform` query parameter, an open set: unknown values are kept in
/// [`OptPlatform::Other`]. Known values are matched case-insensitively, because Tencent
/// itself sends `iOS`, `IOS` and `iOs`, and both `Mac` and `macOS`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum OptPlatform {
    /// `RESTAPI`: the REST API.
    RestApi,
    /// `Web`: the Web SDK.
    Web,
    /// `Android`.
    Android,
    /// `iOS` (also sent as `IOS`).
    Ios,
    /// `Windows`.
    Windows,
    /// `Mac` (also documented as `macOS`).
    Mac,
    /// `iPad`.
    IPad,
    /// `Unknown`: Tencent does not know the device type.
    Unknown,
    /// Any other value, kept as sent.
    Other(String),
}

impl OptPlatform {
    /// Parse a value as sent by Tencent. Never fails.
    pub fn parse(value: &str) -> Self {
        // Names only: a table of `(name, OptPlatform)` pairs was copied whole on every call.
        const KNOWN: [&str; 9] = [
            "RESTAPI", "Web", "Android", "iOS", "Windows", "Mac", "macOS", "iPad", "Unknown",
        ];
        match KNOWN
            .iter()
            .position(|name| name.eq_ignore_ascii_case(value))
        {
            Some(0) => Self::RestApi,
            Some(1) => Self::Web,
            Some(2) => Self::Android,
            Some(3) => Self::Ios,
            Some(4) => Self::Windows,
            Some(5 | 6) => Self::Mac,
            Some(7) => Self::IPad,
            Some(8) => Self::Unknown,
            _ => Self::Other(value.to_owned()),
        }
    }

    /// The canonical spelling (as in Tencent's table), or the value as sent for `Other`.
    pub fn as_str(&self) -> &str {
        match self {
            Self::RestApi => "RESTAPI",
            Self::Web => "Web",
            Self::Android => "Android",
            Self::Ios => "iOS",
            Self::Windows => "Windows",
            Self::Mac => "Mac",
            Self::IPad => "iPad",
            Self::Unknown => "Unknown",
            Self::Other(s) => s,
        }
    }
}

impl fmt::Display for OptPlatform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values_in_any_case() {
        assert_eq!(OptPlatform::parse("IOS"), OptPlatform::Ios);
        assert_eq!(OptPlatform::parse("iOs"), OptPlatform::Ios);
        assert_eq!(OptPlatform::parse("macOS"), OptPlatform::Mac);
        assert_eq!(OptPlatform::parse("restapi"), OptPlatform::RestApi);
        assert_eq!(OptPlatform::parse("iPad").as_str(), "iPad");
    }

    #[test]
    fn every_known_name_parses_to_its_platform() {
        use OptPlatform::*;
        for platform in [RestApi, Web, Android, Ios, Windows, Mac, IPad, Unknown] {
            assert_eq!(OptPlatform::parse(platform.as_str()), platform);
            let upper = platform.as_str().to_ascii_uppercase();
            assert_eq!(OptPlatform::parse(&upper), platform);
        }
        assert_eq!(OptPlatform::parse("MACOS"), Mac);
        assert_eq!(OptPlatform::parse(""), Other(String::new()));
    }

    #[test]
    fn unknown_values_are_kept() {
        let p = OptPlatform::parse("HarmonyOS");
        assert_eq!(p, OptPlatform::Other("HarmonyOS".into()));
        assert_eq!(p.to_string(), "HarmonyOS");
    }
}
