//! S11: referral of a violence case to a partner agency (the UPTD PPA), on the recorded consent
//! of the person (see [`super::s11_consent`]) or, without it, on an override with a reason by
//! the Head or the Bidang head; and the agency's answer.

use aduan_proto::common::v1::Step;
use aduan_proto::events::v1::lifecycle_event::Detail;
use aduan_proto::events::v1::{self as events, LifecycleEvent};
use aduan_proto::investigation::v1 as pb;
use aduan_runtime::auth::{Caller, Role};
use aduan_runtime::{Error, Result};

use super::{
    ActorRec, File, ReferralAnswerRec, ReferralRec, child_age_band, consent_defect, event, history,
    in_handling, may_work, open,
};

/// True when the referral is made without consent, on an override.
pub fn overriding(r: &pb::MakeReferralRequest) -> bool {
    !r.override_reason.trim().is_empty()
}

/// What the referral rests on, checked before the case is looked at: an override only by the
/// Head or the Bidang head, else a recorded consent.
pub fn grounds(caller: &Caller, r: &pb::MakeReferralRequest) -> Result<()> {
    let overriding = overriding(r);
    if overriding && !(caller.acts_as(Role::Head) || caller.acts_as(Role::BidangHead)) {
        return Err(Error::PermissionDenied(
            "only the Head or the Bidang head may refer without recorded consent".into(),
        ));
    }
    if !overriding && r.consent_id.is_empty() {
        return Err(Error::FailedPrecondition(
            "a referral needs the recorded consent of the person (of a parent or guardian for a child), or an override with a reason by the Head or the Bidang head".into(),
        ));
    }
    Ok(())
}

/// Refers the case as `r` asks; `id` is the new referral's.
pub fn refer(
    file: &mut File,
    caller: &Caller,
    who: &ActorRec,
    now: i64,
    id: &str,
    r: &pb::MakeReferralRequest,
) -> Result<Vec<LifecycleEvent>> {
    let overriding = overriding(r);
    in_handling(file, "A referral (S11)")?;
    may_work(caller, file, true)?;
    if !overriding {
        let consent = file
            .body
            .consents
            .iter()
            .find(|c| c.id == r.consent_id)
            .ok_or_else(|| {
                Error::FailedPrecondition("no consent with this id is recorded on the case".into())
            })?;
        if let Some(defect) = consent_defect(
            consent,
            child_age_band(&r.age_band_code),
            &r.relationship_code,
        ) {
            return Err(Error::FailedPrecondition(format!(
                "the consent cannot support the referral: {defect}"
            )));
        }
    }
    if file
        .body
        .referrals
        .iter()
        .any(|x| x.agency == r.agency && x.answer.as_ref().is_none_or(|a| a.accepted))
    {
        return Err(Error::AlreadyExists(format!(
            "the case is referred to {} already",
            r.agency
        )));
    }
    file.body.referrals.push(ReferralRec {
        id: id.to_string(),
        agency: r.agency.clone(),
        agency_name: r.agency_name.trim().to_string(),
        violence_type_code: r.violence_type_code.clone(),
        place_code: r.place_code.clone(),
        relationship_code: r.relationship_code.clone(),
        age_band_code: r.age_band_code.clone(),
        service_codes: r.service_codes.clone(),
        reason: r.reason.trim().to_string(),
        consent_id: r.consent_id.clone(),
        override_reason: r.override_reason.trim().to_string(),
        answer: None,
        by: who.clone(),
        at: now,
    });
    history(
        file,
        who,
        now,
        "referral",
        format!(
            "{id} to {} ({}; {}){}",
            r.agency,
            r.violence_type_code,
            r.service_codes.join(", "),
            if overriding {
                ", override without consent"
            } else {
                ", with consent"
            }
        ),
    );
    Ok(vec![event(
        file,
        Step::S11InvestigationMediation,
        who,
        now,
        Detail::ReferralMade(events::ReferralMade {
            agency: r.agency.clone(),
            violence_type_code: r.violence_type_code.clone(),
            place_code: r.place_code.clone(),
            relationship_code: r.relationship_code.clone(),
            age_band_code: r.age_band_code.clone(),
            consent_recorded: !overriding,
            referral_id: id.to_string(),
            service_codes: r.service_codes.clone(),
        }),
    )])
}

/// Records the agency's answer `r` to a referral. `partner` is a partner agency's client (its
/// token subject is the agency's code), which answers only the referrals made to its agency.
pub fn answer(
    file: &mut File,
    caller: &Caller,
    who: &ActorRec,
    now: i64,
    partner: bool,
    r: &pb::AnswerReferralRequest,
) -> Result<Vec<LifecycleEvent>> {
    // Another agency's referral answers as if it did not exist, before anything else of the
    // case shows.
    if partner
        && !file
            .body
            .referrals
            .iter()
            .any(|x| x.id == r.referral_id && x.agency == caller.principal.subject)
    {
        return Err(Error::NotFound("referral"));
    }
    open(file, "Answering a referral (S11)")?;
    if !partner {
        may_work(caller, file, true)?;
    }
    let referral = file
        .body
        .referrals
        .iter_mut()
        .find(|x| x.id == r.referral_id)
        .ok_or(Error::NotFound("referral"))?;
    if referral.answer.is_some() {
        return Err(Error::AlreadyExists(
            "the referral is answered already".into(),
        ));
    }
    referral.answer = Some(ReferralAnswerRec {
        accepted: r.accepted,
        reason_code: r.reason_code.clone(),
        note: r.note.trim().to_string(),
        agency_reference: r.agency_reference.trim().to_string(),
        by: who.clone(),
        at: now,
    });
    let agency = referral.agency.clone();
    history(
        file,
        who,
        now,
        "referral_answered",
        format!(
            "{} by {agency}: {}",
            r.referral_id,
            if r.accepted { "accepted" } else { "rejected" }
        ),
    );
    Ok(vec![event(
        file,
        Step::S11InvestigationMediation,
        who,
        now,
        Detail::ReferralAnswered(events::ReferralAnswered {
            referral_id: r.referral_id.clone(),
            agency,
            accepted: r.accepted,
        }),
    )])
}
