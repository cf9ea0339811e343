//! Who generated an event ([`Scenario`]): the ground truth the engine
//! never sees, and what the report calls each scenario.

/// Who generated an event: ground truth the engine never sees.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Scenario {
    Legitimate,
    CredentialStuffing,
    /// Credential stuffing with a real browser's TLS handshake and a
    /// matching user agent.
    StuffingBrowserFp,
    OtpPumping,
    /// Voice codes to a high-risk destination (international revenue share fraud).
    VoiceIrsf,
    AccountTakeover,
    /// SMS codes to many low-risk numbers, enough to close the service cap.
    SmsCapTrip,
    /// Many passwords against one account from a few addresses.
    BruteForce,
    /// Credential stuffing with a browser's handshake, where the service's
    /// compromised-password check flags most combos.
    StuffingPwned,
    /// Failed logins, code requests and wrong codes on victims' accounts
    /// and numbers from many networks, to lock the owners out.
    AccountDos,
    /// Credential stuffing that imitates members: real browsers, exits in
    /// the victim's country, one attempt per address, all day.
    StuffingImpersonating,
    /// Three common passwords, each tried once against every account of a list.
    PasswordSpraying,
    /// Real passwords from stealer logs, from the victim's own city, then
    /// an email change.
    Infostealer,
    /// Fresh sign-ups, each asking once for an SMS code to a distinct
    /// low-risk number, from an exit in the number's country.
    SpreadPumping,
    /// Spread pumping to rented numbers whose codes it enters.
    SpreadPumpingVerified,
    /// SMS code requests for many numbers of one country, a new
    /// residential exit in that country each time.
    OtpBotRotating,
}

impl Scenario {
    pub(crate) const ALL: [Scenario; 16] = [
        Scenario::Legitimate,
        Scenario::CredentialStuffing,
        Scenario::StuffingBrowserFp,
        Scenario::OtpPumping,
        Scenario::VoiceIrsf,
        Scenario::AccountTakeover,
        Scenario::SmsCapTrip,
        Scenario::BruteForce,
        Scenario::StuffingPwned,
        Scenario::AccountDos,
        Scenario::StuffingImpersonating,
        Scenario::PasswordSpraying,
        Scenario::Infostealer,
        Scenario::SpreadPumping,
        Scenario::SpreadPumpingVerified,
        Scenario::OtpBotRotating,
    ];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Scenario::Legitimate => "legitimate",
            Scenario::CredentialStuffing => "credential_stuffing",
            Scenario::StuffingBrowserFp => "stuffing_browser_fp",
            Scenario::OtpPumping => "otp_pumping",
            Scenario::VoiceIrsf => "voice_irsf",
            Scenario::AccountTakeover => "account_takeover",
            Scenario::SmsCapTrip => "sms_cap_trip",
            Scenario::BruteForce => "brute_force",
            Scenario::StuffingPwned => "stuffing_pwned",
            Scenario::AccountDos => "account_dos",
            Scenario::StuffingImpersonating => "stuffing_impersonating",
            Scenario::PasswordSpraying => "password_spraying",
            Scenario::Infostealer => "infostealer",
            Scenario::SpreadPumping => "spread_pumping",
            Scenario::SpreadPumpingVerified => "spread_pumping_verified",
            Scenario::OtpBotRotating => "otp_bot_rotating",
        }
    }

    /// Its position in [`Scenario::ALL`].
    pub(crate) fn index(self) -> usize {
        self as usize
    }

    pub(crate) fn is_attack(self) -> bool {
        self != Scenario::Legitimate
    }

    /// Real users complete a step-up (they hold the passkey or the
    /// authenticator); bots cannot.
    pub(crate) fn passes_challenge(self) -> bool {
        !self.is_attack()
    }
}
