//! The operations on contractors and contracts. A contractor's are here; a contract's are the
//! shared agreement operations (`http::agreements`) of the kind `contract`.

use mamori_core::authz::{ManageThirdParties, ViewContractors, authorize};
use mamori_core::org::parse_phone;
use mamori_core::text::{Name, parse_email, parse_line, parse_note};
use mamori_core::third_party::AgreementKind;
use mamori_store::{Contractor, ContractorId, ContractorInput};

use crate::http::agreements::{self, AgreementDraft, Flagged, VerificationDraft};
use crate::http::{AppError, AppState, User};

const KIND: AgreementKind = AgreementKind::Contract;

/// A contractor as typed or sent.
#[derive(Debug, Default)]
pub struct ContractorDraft {
    pub name: String,
    pub address: String,
    pub contact_person: String,
    pub phone: String,
    pub email: String,
    pub note: String,
}

/// Checks a contractor's fields; every refused field is named at once.
fn contractor_input(draft: ContractorDraft) -> Result<ContractorInput, AppError> {
    let mut errors = Vec::new();
    let name = Name::parse("name", &draft.name)
        .map_err(|e| errors.push(e))
        .ok();
    let address = parse_line("address", &draft.address)
        .map_err(|e| errors.push(e))
        .ok();
    let contact_person = parse_line("contact_person", &draft.contact_person)
        .map_err(|e| errors.push(e))
        .ok();
    let phone = parse_phone(&draft.phone).map_err(|e| errors.push(e)).ok();
    let email = parse_email("email", &draft.email)
        .map_err(|e| errors.push(e))
        .ok();
    let note = parse_note("note", &draft.note)
        .map_err(|e| errors.push(e))
        .ok();
    match (name, address, contact_person, phone, email, note) {
        (Some(name), Some(address), Some(contact_person), Some(phone), Some(email), Some(note))
            if errors.is_empty() =>
        {
            Ok(ContractorInput {
                name: name.into(),
                address,
                contact_person,
                phone,
                email,
                note,
            })
        }
        _ => Err(AppError::Invalid(errors)),
    }
}

/// The register of contractors (for whoever oversees third parties).
pub async fn contractors(state: &AppState, user: &User) -> Result<Vec<Contractor>, AppError> {
    authorize::<ViewContractors>(&user.actor, &())?;
    Ok(state.store.contractors().await?)
}

/// One contractor with the contracts of it the viewer may see.
pub async fn contractor(
    state: &AppState,
    user: &User,
    id: i64,
) -> Result<(Contractor, Vec<Flagged>), AppError> {
    authorize::<ViewContractors>(&user.actor, &())?;
    let contractor = state
        .store
        .contractor(ContractorId(id))
        .await?
        .ok_or(AppError::NotFound)?;
    let contracts = agreements::list(state, user, KIND)
        .await?
        .into_iter()
        .filter(|f| f.agreement.contractor == Some(contractor.id))
        .collect();
    Ok((contractor, contracts))
}

/// Registers a contractor (`id` none) or changes one: the administrators.
pub async fn save_contractor(
    state: &AppState,
    user: &User,
    id: Option<i64>,
    draft: ContractorDraft,
) -> Result<Contractor, AppError> {
    if let Some(id) = id {
        contractor(state, user, id).await?;
    }
    let grant = authorize::<ManageThirdParties>(&user.actor, &())?;
    let input = contractor_input(draft)?;
    let origin = user.ctx.origin();
    Ok(match id {
        Some(id) => {
            state
                .store
                .update_contractor(&grant, ContractorId(id), input, &origin)
                .await?
        }
        None => {
            state
                .store
                .create_contractor(&grant, input, &origin)
                .await?
        }
    })
}

/// The contracts the viewer may see (a contractor: their own), ending soonest first.
pub async fn contracts(state: &AppState, user: &User) -> Result<Vec<Flagged>, AppError> {
    agreements::list(state, user, KIND).await
}

pub async fn contract(state: &AppState, user: &User, id: i64) -> Result<Flagged, AppError> {
    agreements::one(state, user, KIND, id).await
}

pub async fn save_contract(
    state: &AppState,
    user: &User,
    id: Option<i64>,
    draft: AgreementDraft,
) -> Result<Flagged, AppError> {
    agreements::save(state, user, KIND, id, draft).await
}

pub async fn verify(
    state: &AppState,
    user: &User,
    id: i64,
    draft: VerificationDraft,
) -> Result<Flagged, AppError> {
    agreements::verify(state, user, KIND, id, draft).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(draft: ContractorDraft) -> Vec<&'static str> {
        match contractor_input(draft) {
            Err(AppError::Invalid(errors)) => errors.iter().map(|e| e.field).collect(),
            other => panic!("refused: {other:?}"),
        }
    }

    #[test]
    fn a_contractor_is_checked_field_by_field() {
        let ok = contractor_input(ContractorDraft {
            name: " 株式会社まもり情報 ".into(),
            address: "東京都千代田区1-1".into(),
            contact_person: "保守 太郎".into(),
            phone: "03-1234-5678".into(),
            email: "support@mamori.example.jp".into(),
            note: String::new(),
        })
        .unwrap();
        assert_eq!(ok.name, "株式会社まもり情報");
        assert_eq!(ok.email.as_deref(), Some("support@mamori.example.jp"));
        assert_eq!(fields(ContractorDraft::default()), ["name"]);
        assert_eq!(
            fields(ContractorDraft {
                name: "名前\u{0}".into(),
                address: "a\nb".into(),
                contact_person: "x".repeat(201),
                phone: "<script>".into(),
                email: "not-an-address".into(),
                note: "\u{7}".into(),
            }),
            [
                "name",
                "address",
                "contact_person",
                "phone",
                "email",
                "note"
            ]
        );
    }
}
