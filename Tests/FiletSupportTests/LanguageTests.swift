import FiletSupport
import Testing

@Suite struct LanguageTests {
    @Test(arguments: [
        ([:], Language.en),
        (["LANG": "fr_FR.UTF-8"], .fr),
        (["LANG": "en_US.UTF-8"], .en),
        (["LANG": "fr_FR.UTF-8", "LC_ALL": "C"], .en),
        (["LANG": "C", "LC_MESSAGES": "fr_CA.UTF-8"], .fr),
        (["LC_ALL": "", "LANG": "FR_fr"], .fr),
        (["LC_ALL": "fr", "LC_MESSAGES": "en_GB"], .fr),
    ])
    func theFirstLocaleVariableSetDecides(environment: [String: String], language: Language) {
        #expect(Language(environment: environment) == language)
    }

    @Test func aMessageSpeaksBothLanguages() {
        let message = Message(en: "step a failed", fr: "l’étape a a échoué")
        #expect(message.text(.en) == "step a failed")
        #expect(message.text(.fr) == "l’étape a a échoué")
    }
}
