//! Consent to a referral (S11): who consents for whom, and when a recorded consent cannot
//! support a referral. Recording a consent is a step of its own.

use aduan_proto::common::v1::Step;
use aduan_proto::events::v1::{HandlingActivityKind, LifecycleEvent};
use aduan_proto::investigation::v1 as pb;
use aduan_runtime::auth::Caller;
use aduan_runtime::{Error, Result};

use super::{ActorRec, ConsentRec, File, activity, enum_code, history, in_handling, may_work};

/// True for the SIMFONI-PPA age bands of a child (under 18, UU 35/2014).
pub fn child_age_band(code: &str) -> bool {
    matches!(code, "0-5" | "6-12" | "13-17")
}

/// `ConsentGiver::ThePerson`.
pub const GIVER_THE_PERSON: i32 = pb::ConsentGiver::ThePerson as i32;
/// `PartyRole::Complainant`.
pub const PARTY_COMPLAINANT: i32 = pb::PartyRole::Complainant as i32;
/// `PartyRole::Victim`.
pub const PARTY_VICTIM: i32 = pb::PartyRole::Victim as i32;

/// True for the parties whose consent a referral can rest on: the victim, or the complainant
/// (who is the victim when they complain of what was done to them). Investigation does not hold
/// intake's record of who the victim is, so the officer names the role; a witness, the reported
/// party or someone else never consents for the person referred.
pub fn consenting_party(role: i32) -> bool {
    role == PARTY_VICTIM || role == PARTY_COMPLAINANT
}

/// The SIMFONI-PPA `hubungan_pelaku` codes that name the child's own family as the alleged
/// perpetrator: a parent's or guardian's consent cannot then protect the child.
pub const FAMILY_PERPETRATOR_CODES: &[&str] = &["orang_tua", "keluarga_saudara"];

/// Why a consent cannot support a referral, if it cannot:
/// - the alleged perpetrator's "consent" is no consent;
/// - the consent must be of the person referred: the victim (or the complainant), never a
///   witness, the reported party or someone else;
/// - an adult consents for themselves (a parent or guardian cannot consent for them);
/// - a child's consent needs a parent or guardian (the child's own is not enough), and that
///   parent's or guardian's consent does not count when the referral names a parent
///   (`orang_tua`) or the family (`keluarga_saudara`) as the alleged perpetrator
///   (`relationship_code`): then only an override by the Head or the Bidang head refers.
pub fn consent_defect(
    consent: &ConsentRec,
    child_by_age_band: bool,
    relationship_code: &str,
) -> Option<&'static str> {
    if consent.giver_is_alleged_perpetrator {
        return Some("the consent was given by the alleged perpetrator");
    }
    if !consenting_party(consent.subject_role) {
        return Some(
            "the consent is not of the person referred: it must concern the victim (or the complainant)",
        );
    }
    let child = consent.subject_is_child || child_by_age_band;
    if !child {
        if consent.giver != GIVER_THE_PERSON {
            return Some(
                "the person is an adult: only they can consent, not a parent or guardian for them",
            );
        }
        return None;
    }
    if consent.giver == GIVER_THE_PERSON {
        return Some("the person is a child: a parent or guardian must consent");
    }
    if FAMILY_PERPETRATOR_CODES.contains(&relationship_code) {
        return Some(
            "the referral names a parent or the family (hubungan_pelaku orang_tua or keluarga_saudara) as the alleged perpetrator: a parent's or guardian's consent cannot support it; the Head or the Bidang head refers with an override",
        );
    }
    None
}

/// Records the consent `rec` (a repeat of a recorded consent answers ALREADY_EXISTS).
pub fn record(
    file: &mut File,
    caller: &Caller,
    who: &ActorRec,
    now: i64,
    mut rec: ConsentRec,
) -> Result<Vec<LifecycleEvent>> {
    in_handling(file, "Recording consent (S11)")?;
    may_work(caller, file, false)?;
    let same = |c: &ConsentRec| {
        c.subject_role == rec.subject_role
            && c.subject_name == rec.subject_name
            && c.subject_is_child == rec.subject_is_child
            && c.giver == rec.giver
            && c.giver_name == rec.giver_name
            && c.giver_is_alleged_perpetrator == rec.giver_is_alleged_perpetrator
            && c.form == rec.form
            && c.given_on == rec.given_on
    };
    if file.body.consents.iter().any(same) {
        return Err(Error::AlreadyExists(
            "this consent is recorded on the case already".into(),
        ));
    }
    rec.at = now;
    let giver = enum_code::<pb::ConsentGiver>(rec.giver, "CONSENT_GIVER_", |e| e.as_str_name());
    let detail = format!(
        "{} by {giver}{}{}",
        rec.id,
        if rec.subject_is_child {
            " for a child"
        } else {
            ""
        },
        if rec.giver_is_alleged_perpetrator {
            "; the giver is the alleged perpetrator"
        } else {
            ""
        }
    );
    file.body.consents.push(rec);
    history(file, who, now, "consent", detail);
    Ok(vec![activity(
        file,
        Step::S11InvestigationMediation,
        who,
        now,
        HandlingActivityKind::ConsentRecorded,
        |a| {
            a.activity_code = format!("consent.{giver}");
        },
    )])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consent_rules() {
        let mut c = ConsentRec {
            subject_role: PARTY_VICTIM,
            giver: GIVER_THE_PERSON,
            ..Default::default()
        };
        // An adult victim consents for themselves.
        assert_eq!(consent_defect(&c, false, "tetangga"), None);
        assert!(
            consent_defect(&c, true, "").is_some(),
            "a child by age band"
        );
        // ...and so does an adult complainant (the victim who complains).
        c.subject_role = PARTY_COMPLAINANT;
        assert_eq!(consent_defect(&c, false, ""), None);
        // A witness, the reported party or someone else is not the person referred.
        for role in [2, 4, 5, 8, 0] {
            c.subject_role = role;
            let why = consent_defect(&c, false, "").unwrap();
            assert!(why.contains("victim"), "{role}: {why}");
        }
        c.subject_role = PARTY_VICTIM;
        // A parent or guardian does not consent for an adult.
        for giver in [2, 3] {
            c.giver = giver;
            let why = consent_defect(&c, false, "tetangga").unwrap();
            assert!(why.contains("adult"), "{why}");
        }
        // A child: not the child alone; a parent or guardian, unless the family is accused.
        c.subject_is_child = true;
        c.giver = GIVER_THE_PERSON;
        assert!(consent_defect(&c, false, "tetangga").is_some());
        c.giver = 2;
        assert_eq!(
            consent_defect(&c, true, "tetangga"),
            None,
            "a parent consents"
        );
        assert_eq!(consent_defect(&c, false, ""), None);
        for (giver, relation) in [
            (2, "orang_tua"),
            (3, "orang_tua"),
            (2, "keluarga_saudara"),
            (3, "keluarga_saudara"),
        ] {
            c.giver = giver;
            let why = consent_defect(&c, false, relation).unwrap();
            assert!(why.contains(relation), "{why}");
        }
        c.giver = 3;
        assert_eq!(
            consent_defect(&c, false, "guru"),
            None,
            "a guardian consents"
        );
        c.giver_is_alleged_perpetrator = true;
        assert!(consent_defect(&c, true, "tetangga").is_some());
    }
}
