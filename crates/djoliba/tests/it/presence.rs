//! Presence: offices with their staff and implementing partners, kept by information-management
//! officers, every mistake named at its field, every change audited.

use store::presence::OfficeInput;
use store::{Actor, StoreError};

use crate::support::*;

fn office(name: &str) -> OfficeInput {
    OfficeInput {
        organisation: "NRC".into(),
        kind: "bureau de terrain".into(),
        name: name.into(),
        place: "ML0703".into(),
        national_staff: 25,
        international_staff: 2,
    }
}

#[test]
fn offices_and_partners_are_kept_checked_and_audited() {
    for t in stores() {
        let store = &t.store;
        let im = crate::plans::im_officer(store);
        let clerk = registrar(store);
        store.create_organisation(&Actor::system(), "AMSS", "AMSS").unwrap();
        let gao = store.set_office(&im, &office("Gao")).unwrap();
        assert_eq!((gao.kind.as_str(), gao.place_name.as_str()), ("field_office", "Gao"), "{}", t.backend);
        // The same name changes the office; it is not a second one.
        let changed = store.set_office(&im, &OfficeInput { national_staff: 30, ..office("Gao") }).unwrap();
        assert_eq!((changed.id.as_str(), changed.national_staff), (gao.id.as_str(), 30));
        let bad = OfficeInput {
            organisation: "NOPE".into(),
            kind: "embassy".into(),
            name: " ".into(),
            place: "ML0799".into(),
            national_staff: -1,
            international_staff: 200_000,
        };
        let Err(StoreError::Invalid(errors)) = store.set_office(&im, &bad) else { panic!("refused") };
        let fields: Vec<&str> = errors.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["kind", "name", "place", "national_staff", "international_staff", "organisation"]);
        assert!(matches!(store.set_office(&clerk, &office("Mopti")), Err(StoreError::Forbidden(_))));
        store.set_partner(&im, "NRC", "AMSS", false).unwrap();
        assert!(matches!(store.set_partner(&im, "NRC", "NRC", false), Err(StoreError::Invalid(_))));
        let presence = store.presence().unwrap();
        assert_eq!(presence.offices.len(), 1);
        assert_eq!(
            (presence.partners[0].organisation.as_str(), presence.partners[0].partner.as_str()),
            ("NRC", "AMSS")
        );
        let sheet = store.factsheet(&Actor::system(), "2024-06-30", Some("NRC"), false).unwrap();
        assert_eq!((sheet.offices.len(), sheet.partners.len()), (1, 1));
        store.set_partner(&im, "NRC", "AMSS", true).unwrap();
        store.remove_office(&im, &gao.id).unwrap();
        assert!(matches!(store.remove_office(&im, &gao.id), Err(StoreError::NotFound(_))));
        assert!(store.presence().unwrap().offices.is_empty() && store.presence().unwrap().partners.is_empty());
        let actions: Vec<String> =
            store.audit_entries(&Actor::system(), 50, 0).unwrap().into_iter().map(|e| e.action).collect();
        for action in ["set_office", "remove_office", "set_partner", "remove_partner"] {
            assert!(actions.iter().any(|a| a == action), "{action} audited: {actions:?}");
        }
    }
}
