//! Duplicate registrations in the registry: the check before saving, the batch run, the review
//! queue with accept, reject and undo, merges counted once by figures, and scope. On both
//! databases.

use domain::registry::{HouseholdInput, MovementInput};
use store::duplicates::Decision;
use store::{Actor, Store};

use crate::support::*;

fn idps(store: &Store) -> u64 {
    let report = store.stock_figures(&Actor::system(), "2024-06-30", 1, Some("IDP")).unwrap();
    report.stock.cells.iter().map(|c| c.individuals).sum()
}

/// A household of one: Fatoumata `family`, born `birth`, displaced to Gao.
fn one(external_id: &str, given: &str, family: &str, birth: &str) -> HouseholdInput {
    HouseholdInput {
        external_id: external_id.into(),
        registration_point: "ML070303".into(),
        registration_date: "2024-02-01".into(),
        population_group: "IDP".into(),
        members: vec![PersonInputExt::with(given, family, birth)],
        movements: vec![MovementInput {
            from: Some("ML100101".into()),
            ..movement("displacement", "2024-01-10", "ML070303")
        }],
        ..Default::default()
    }
}

trait PersonInputExt {
    fn with(given: &str, family: &str, birth: &str) -> Self;
}

impl PersonInputExt for domain::registry::PersonInput {
    fn with(given: &str, family: &str, birth: &str) -> Self {
        domain::registry::PersonInput {
            family_name: family.into(),
            father_name: Some("Oumar".into()),
            ..member("P1", given, "head", birth)
        }
    }
}

fn register(store: &Store, actor: &Actor, input: &HouseholdInput) -> store::registry::HouseholdDetail {
    let household = input.parse(store.gazetteer.as_ref(), store.today()).unwrap();
    store.register_household(actor, &household).unwrap()
}

#[test]
fn a_registrar_sees_a_likely_duplicate_before_saving() {
    for t in stores() {
        let clerk = registrar(&t.store);
        let first = register(&t.store, &clerk, &one("GAO-1", "Fatoumata", "Maïga", "1990-05-01"));
        for i in 0..30 {
            register(
                &t.store,
                &clerk,
                &one(
                    &format!("OTHER-{i}"),
                    ["Awa", "Mariam", "Hawa"][i % 3],
                    &format!("Family{i}"),
                    &format!("{}", 1950 + i),
                ),
            );
        }
        let again =
            one("GAO-2", "Fatimata", "Maiga", "1990").parse(t.store.gazetteer.as_ref(), t.store.today()).unwrap();
        let found = t.store.check_duplicates(&clerk, &again).unwrap();
        assert_eq!(found.len(), 1, "{}: {found:?}", t.backend);
        assert_eq!(found[0].person.id, first.members[0].person.id);
        assert_eq!(found[0].member, 0);
        assert!(found[0].probability > 0.8, "{}", found[0].probability);
        let stranger =
            one("GAO-3", "Intalla", "Ag Attaher", "1962").parse(t.store.gazetteer.as_ref(), t.store.today()).unwrap();
        assert!(t.store.check_duplicates(&clerk, &stranger).unwrap().is_empty(), "{}", t.backend);
        // Someone registered after the index was built is found too.
        let later = register(&t.store, &clerk, &one("GAO-4", "Intalla", "Ag Attaher", "1962"));
        let found = t.store.check_duplicates(&clerk, &stranger).unwrap();
        assert_eq!(
            found.first().map(|l| l.person.id.as_str()),
            Some(later.members[0].person.id.as_str()),
            "{}",
            t.backend
        );
    }
}

#[test]
fn registration_checks_then_holds_or_saves_and_queues_in_one_use_case() {
    use store::registry::{IfLikelyDuplicates, Registration};
    for t in stores() {
        let clerk = registrar(&t.store);
        let first = register(&t.store, &clerk, &one("GAO-1", "Fatoumata", "Maïga", "1990-05-01"));
        let again = one("GAO-2", "Fatimata", "Maiga", "1990");
        let Registration::Held(likely) = t.store.register(&clerk, &again, IfLikelyDuplicates::Hold).unwrap() else {
            panic!("{}: a likely duplicate must hold the registration", t.backend)
        };
        assert_eq!(likely[0].person.id, first.members[0].person.id);
        let total = |s: &Store| s.list_households(&clerk, &Default::default()).unwrap().total;
        assert_eq!(total(&t.store), 1, "{}: held means nothing saved", t.backend);
        let Registration::Saved { detail, queued } =
            t.store.register(&clerk, &again, IfLikelyDuplicates::Queue).unwrap()
        else {
            panic!("{}: confirmed registrations are saved", t.backend)
        };
        assert_eq!(queued.len(), 1);
        let pairs = t.store.duplicate_pairs(&clerk, None, 10).unwrap();
        assert_eq!(pairs.len(), 1, "{}", t.backend);
        assert_eq!(
            (pairs[0].a.id.as_str(), pairs[0].b.id.as_str()),
            (first.members[0].person.id.as_str(), detail.members[0].person.id.as_str())
        );
        // A failing registration (its number is taken) queues nothing: one transaction.
        let taken = one("GAO-2", "Fatimata", "Maiga", "1990");
        assert!(matches!(
            t.store.register(&clerk, &taken, IfLikelyDuplicates::Queue),
            Err(store::StoreError::Conflict(_))
        ));
        assert_eq!(t.store.duplicate_pairs(&clerk, None, 10).unwrap().len(), 1, "{}", t.backend);
        // Without a likely duplicate, holding saves as usual.
        let stranger = one("GAO-5", "Intalla", "Ag Attaher", "1962");
        let saved = t.store.register(&clerk, &stranger, IfLikelyDuplicates::Hold).unwrap();
        assert!(matches!(saved, Registration::Saved { ref queued, .. } if queued.is_empty()), "{}", t.backend);
    }
}

#[test]
fn accepting_a_pair_counts_the_person_once_and_undo_restores_it() {
    for t in stores() {
        let clerk = registrar(&t.store);
        let first = register(&t.store, &clerk, &one("GAO-1", "Fatoumata", "Maïga", "1990-05-01"));
        let second = register(&t.store, &clerk, &one("MOP-7", "Fatimata", "Maiga", "1990"));
        assert_eq!(idps(&t.store), 2);
        t.store.queue_duplicate(&clerk, &first.members[0].person.id, &second.members[0].person.id, 0.93).unwrap();
        let queue = t.store.duplicate_pairs(&clerk, None, 10).unwrap();
        assert_eq!(queue.len(), 1, "{}", t.backend);
        let pair = &queue[0];
        assert_eq!(
            (pair.a.id.as_str(), pair.b.id.as_str()),
            (first.members[0].person.id.as_str(), second.members[0].person.id.as_str())
        );

        let accepted = t.store.decide_duplicate(&clerk, &pair.id, Decision::Accept, "same NINA card").unwrap();
        assert_eq!(accepted.status, "accepted");
        assert_eq!(accepted.b.duplicate_of.as_deref(), Some(first.members[0].person.id.as_str()));
        assert_eq!(idps(&t.store), 1, "{}: a merged person is counted once", t.backend);
        // Both records and their histories stay.
        assert_eq!(t.store.household_detail(&clerk, &second.household.id).unwrap().movements.len(), 1);
        assert!(t.store.duplicate_pairs(&clerk, None, 10).unwrap().is_empty());

        let undone = t.store.decide_duplicate(&clerk, &pair.id, Decision::Undo, "wrong card number").unwrap();
        assert_eq!((undone.status.as_str(), undone.b.duplicate_of.as_deref()), ("pending", None));
        assert_eq!(idps(&t.store), 2);
        let rejected = t.store.decide_duplicate(&clerk, &pair.id, Decision::Reject, "two sisters").unwrap();
        assert_eq!(rejected.status, "rejected");
        assert_eq!(t.store.duplicate_pairs(&clerk, Some("rejected"), 10).unwrap().len(), 1);
        // Each decision is audited.
        let actions: Vec<String> =
            t.store.audit_entries(&Actor::system(), 20, 0).unwrap().into_iter().map(|e| e.action).collect();
        for action in ["duplicates.accept", "duplicates.undo", "duplicates.reject"] {
            assert!(actions.iter().any(|a| a == action), "{action} in {actions:?}");
        }
    }
}

#[test]
fn the_check_follows_corrections_and_merges_made_after_it_was_first_used() {
    for t in stores() {
        let clerk = registrar(&t.store);
        let first = register(&t.store, &clerk, &one("GAO-1", "Fatoumata", "Maïga", "1990-05-01"));
        let second = register(&t.store, &clerk, &one("MOP-7", "Fatimata", "Maiga", "1990"));
        for i in 0..20 {
            register(
                &t.store,
                &clerk,
                &one(&format!("OTHER-{i}"), "Awa", &format!("Family{i}"), &format!("{}", 1950 + i)),
            );
        }
        let probe = |given: &str, family: &str, birth: &str| {
            let household =
                one("NEW", given, family, birth).parse(t.store.gazetteer.as_ref(), t.store.today()).unwrap();
            t.store.check_duplicates(&clerk, &household).unwrap().into_iter().map(|l| l.person.id).collect::<Vec<_>>()
        };
        let (a, b) = (first.members[0].person.id.clone(), second.members[0].person.id.clone());
        assert!(probe("Fatoumata", "Maïga", "1990-05-01").contains(&a), "{}", t.backend);
        // A clerk corrects the name: the check finds her under the new one, not the old.
        let corrected = domain::registry::PersonInput::with("Intalla", "Ag Attaher", "1962");
        let corrected = corrected.parse(t.store.gazetteer.as_ref(), t.store.today()).unwrap();
        t.store.update_person(&clerk, &a, &corrected, "names of the first wife").unwrap();
        assert_eq!(probe("Intalla", "Ag Attaher", "1962").first(), Some(&a), "{}", t.backend);
        assert!(!probe("Fatoumata", "Maïga", "1990-05-01").contains(&a), "{}", t.backend);
        // A record merged into another is no longer offered.
        assert!(probe("Fatimata", "Maiga", "1990").contains(&b), "{}", t.backend);
        t.store.queue_duplicate(&clerk, &first.members[0].person.id, &b, 0.93).unwrap();
        let pair = t.store.duplicate_pairs(&clerk, None, 10).unwrap().remove(0);
        t.store.decide_duplicate(&clerk, &pair.id, Decision::Accept, "same NINA card").unwrap();
        assert!(!probe("Fatimata", "Maiga", "1990").contains(&b), "{}", t.backend);
        // Undone, it is offered again.
        t.store.decide_duplicate(&clerk, &pair.id, Decision::Undo, "wrong card").unwrap();
        assert!(probe("Fatimata", "Maiga", "1990").contains(&b), "{}", t.backend);
    }
}

#[test]
fn people_s_decisions_teach_the_check_without_a_restart() {
    for t in stores() {
        let clerk = registrar(&t.store);
        let first = register(&t.store, &clerk, &one("GAO-1", "Fatoumata", "Maïga", "1990-05-01"));
        let second = register(&t.store, &clerk, &one("MOP-7", "Fatimata", "Maiga", "1990"));
        let probe = |given: &str| {
            let household =
                one("NEW", given, "Maïga", "1990-05-01").parse(t.store.gazetteer.as_ref(), t.store.today()).unwrap();
            t.store.check_duplicates(&clerk, &household).unwrap().into_iter().map(|l| l.person.id).collect::<Vec<_>>()
        };
        assert_eq!(t.store.duplicate_check_status(), None, "built on first use");
        probe("Fatoumata");
        assert_eq!(t.store.duplicate_check_status().map(|s| s.decisions_learnt), Some(0));
        t.store.queue_duplicate(&clerk, &first.members[0].person.id, &second.members[0].person.id, 0.93).unwrap();
        let pair = t.store.duplicate_pairs(&clerk, None, 10).unwrap().remove(0);
        t.store.decide_duplicate(&clerk, &pair.id, Decision::Accept, "same NINA card").unwrap();
        // Registered meanwhile: the new index catches up with it once it replaces the old one.
        let later = register(&t.store, &clerk, &one("GAO-2", "Kadidia", "Touré", "1985-03-03"));
        let started = std::time::Instant::now();
        while t.store.duplicate_check_status()
            != Some(store::duplicates::CheckStatus { decisions_learnt: 1, relearning: false })
        {
            assert!(started.elapsed().as_secs() < 60, "{}: still {:?}", t.backend, t.store.duplicate_check_status());
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let household =
            one("NEW", "Kadidia", "Touré", "1985-03-03").parse(t.store.gazetteer.as_ref(), t.store.today()).unwrap();
        let found = t.store.check_duplicates(&clerk, &household).unwrap();
        assert_eq!(found.first().map(|l| &l.person.id), Some(&later.members[0].person.id), "{}", t.backend);
        assert!(!probe("Fatimata").contains(&second.members[0].person.id), "{}: merged", t.backend);
    }
}

#[test]
fn a_pair_outside_the_users_scope_is_not_found() {
    let t = sqlite();
    let clerk = registrar(&t.store);
    let first = register(&t.store, &clerk, &one("GAO-1", "Fatoumata", "Maïga", "1990-05-01"));
    let second = register(&t.store, &clerk, &one("MOP-7", "Fatimata", "Maiga", "1990"));
    t.store.queue_duplicate(&clerk, &first.members[0].person.id, &second.members[0].person.id, 0.9).unwrap();
    let pair = t.store.duplicate_pairs(&clerk, None, 10).unwrap().remove(0);
    let outsider = other_registrar(&t.store);
    assert!(t.store.duplicate_pairs(&outsider, None, 10).unwrap().is_empty());
    assert!(matches!(
        t.store.decide_duplicate(&outsider, &pair.id, Decision::Accept, "same card"),
        Err(store::StoreError::NotFound(_))
    ));
    let viewer = Actor { role: domain::Role::Viewer, ..clerk.clone() };
    assert!(matches!(
        t.store.decide_duplicate(&viewer, &pair.id, Decision::Accept, ""),
        Err(store::StoreError::Forbidden(_))
    ));
}

#[test]
fn a_batch_run_merges_only_what_a_number_confirms_and_queues_the_rest() {
    for t in stores() {
        let clerk = registrar(&t.store);
        let card = |input| with_number(input, "national_id", "12345678901234");
        let first = register(&t.store, &clerk, &card(one("GAO-1", "Fatoumata", "Maïga", "1990-05-01")));
        let again = register(&t.store, &clerk, &card(one("GAO-9", "Fatoumata", "Maïga", "1990-05-01")));
        // The same woman again, without her card: a person decides.
        let uncarded = register(&t.store, &clerk, &one("GAO-12", "Fatoumata", "Maïga", "1990-05-01"));
        for i in 0..20 {
            register(
                &t.store,
                &clerk,
                &one(
                    &format!("OTHER-{i}"),
                    ["Awa", "Mariam", "Hawa", "Rokia"][i % 4],
                    &format!("Family{i}"),
                    &format!("{}", 1950 + i),
                ),
            );
        }
        let report = t.store.run_duplicate_detection(&clerk).unwrap();
        assert_eq!(report.people, 23, "{}", t.backend);
        assert_eq!((report.merged, report.queued), (1, 1), "{}: {report:?}", t.backend);
        let merged = t.store.duplicate_pairs(&clerk, Some("accepted"), 10).unwrap();
        assert_eq!(merged[0].a.id, first.members[0].person.id, "the earlier registration is kept");
        assert_eq!(merged[0].b.id, again.members[0].person.id);
        let queued = t.store.duplicate_pairs(&clerk, Some("pending"), 10).unwrap();
        assert_eq!(queued[0].b.id, uncarded.members[0].person.id, "{}", t.backend);
        assert!(queued[0].probability >= 0.5, "{}", queued[0].probability);
        assert_eq!(idps(&t.store), 22);
        // A second run leaves decided and queued pairs as they are and merged records out.
        let rerun = t.store.run_duplicate_detection(&clerk).unwrap();
        assert_eq!((rerun.people, rerun.merged, rerun.queued), (22, 0, 0), "{}: {rerun:?}", t.backend);
    }
}

/// The demo's own generator at a few thousand households, its places from the gazetteer.
fn demo_like_registry(store: &Store, households: usize) -> Actor {
    use store::import::{ImportItem, RowRef};
    let actor = registrar(store);
    let communes = |region: &str| -> Vec<String> {
        store.gazetteer.search("", Some(region), Some(3), 1000).into_iter().map(|m| m.location.pcode).collect()
    };
    let places = domain::synthetic::Places {
        origins: ["ML07", "ML06", "ML05", "ML10", "ML04"].iter().map(|r| communes(r)).collect(),
        destinations: communes("ML09"),
    };
    let items: Vec<ImportItem> = domain::synthetic::generate(3, households, &places)
        .into_iter()
        .enumerate()
        .map(|(i, g)| ImportItem {
            household: g.household,
            household_row: RowRef { file: "synthetic".into(), row: i + 2 },
            member_rows: vec![],
            movement_rows: vec![],
        })
        .collect();
    store.import(&actor, &items, "synthetic", "-", &mut |_| {}).unwrap();
    actor
}

#[test]
fn verbatim_copies_of_people_with_the_commonest_names_are_found_first() {
    let t = sqlite();
    let clerk = demo_like_registry(&t.store, 3_000);
    // The people whose given name is among the commonest, with a full birth date.
    let rows = t
        .store
        .db
        .read(|tx| {
            tx.query(
                "SELECT p.id, p.given_name, p.family_name, p.father_name, p.sex, p.birth_date, h.registration_point \
                 FROM people p JOIN households h ON h.id = p.household_id \
                 WHERE p.birth_date_precision = 'day' AND p.given_name IN \
                 (SELECT given_name FROM people GROUP BY given_name ORDER BY COUNT(*) DESC LIMIT 5) \
                 ORDER BY p.id LIMIT 40",
                &[],
            )
        })
        .unwrap();
    assert_eq!(rows.len(), 40);
    let mut missed = Vec::new();
    for r in &rows {
        let mut again = one("COPY", &r.text(1), &r.text(2), &r.text(5));
        again.registration_point = r.text(6);
        again.movements[0].to = Some(r.text(6));
        // A displacement leaves somewhere else than where it leads.
        if r.text(6) == "ML100101" {
            again.movements[0].from = Some("ML070101".into());
        }
        again.members[0].father_name = r.opt_text(3);
        again.members[0].sex = r.opt_text(4);
        let household = again.parse(t.store.gazetteer.as_ref(), t.store.today()).unwrap();
        let found = t.store.check_duplicates(&clerk, &household).unwrap();
        // Found first, and warned of as likely (not only shown as possible).
        if found.first().map(|l| (l.person.id.as_str(), l.likely)) != Some((r.str(0), true)) {
            missed.push((r.text(1), found.len()));
        }
    }
    assert!(missed.is_empty(), "{} of 40 verbatim copies missed: {missed:?}", missed.len());
    // The same check by a user of another organisation, through the same shared index: nobody
    // outside their scope is returned, nor counted.
    let stranger_clerk = other_registrar(&t.store);
    let r = &rows[0];
    let mut again = one("COPY", &r.text(1), &r.text(2), &r.text(5));
    again.members[0].father_name = r.opt_text(3);
    let household = again.parse(t.store.gazetteer.as_ref(), t.store.today()).unwrap();
    assert!(t.store.check_duplicates(&stranger_clerk, &household).unwrap().is_empty());
    // People never registered are not flagged (at most 1 %), unless the registry holds a
    // namesake born the same year: with the same given and family name and sex, only the
    // father's name can tell them apart, and a registrar should be shown the candidate.
    let communes: Vec<String> =
        t.store.gazetteer.search("", Some("ML09"), Some(3), 100).into_iter().map(|m| m.location.pcode).collect();
    let places = domain::synthetic::Places { origins: vec![communes.clone()], destinations: communes };
    let (mut probed, mut flagged) = (0, 0);
    for g in domain::synthetic::generate(99, 100, &places) {
        for person in &g.household.members {
            let year = person.birth_date.map(|d| d.date.format("%Y").to_string()).unwrap_or_default();
            let namesakes = t
                .store
                .db
                .read(|tx| {
                    tx.query_int(
                        "SELECT COUNT(*) FROM people WHERE given_name = $1 AND family_name = $2 AND sex = $3 \
                         AND substr(birth_date, 1, 4) = $4",
                        store::params![
                            person.given_name.as_str(),
                            person.family_name.as_str(),
                            person.sex.map(|s| s.as_str()).unwrap_or(""),
                            year.as_str()
                        ],
                    )
                })
                .unwrap();
            if namesakes > 0 {
                continue;
            }
            let alone = domain::registry::NewHousehold {
                members: vec![person.clone()],
                movements: Vec::new(),
                ..g.household.clone()
            };
            probed += 1;
            if !t.store.check_duplicates(&clerk, &alone).unwrap().is_empty() {
                flagged += 1;
            }
        }
    }
    assert!(probed > 300, "{probed}");
    assert!(flagged * 100 <= probed, "{flagged} of {probed} people never registered were flagged");
}

#[test]
fn a_possible_duplicate_is_shown_before_saving_but_not_queued() {
    let t = sqlite();
    let clerk = demo_like_registry(&t.store, 3_000);
    let rows = t
        .store
        .db
        .read(|tx| {
            tx.query(
                "SELECT p.id, p.given_name, p.family_name, p.sex, p.birth_date, h.registration_point \
                 FROM people p JOIN households h ON h.id = p.household_id \
                 WHERE p.birth_date_precision = 'day' ORDER BY p.id LIMIT 400",
                &[],
            )
        })
        .unwrap();
    // Someone written again with only the birth year, no father's name, and in another commune
    // of the same cercle: weaker evidence, which for some names is possible rather than likely.
    let possible = rows.iter().find_map(|r| {
        let place = r.text(5);
        let cercle = t.store.gazetteer.ancestor_at(&place, 2)?.pcode.clone();
        let nearby = t.store.gazetteer.search("", Some(&cercle), Some(3), 50);
        let other = nearby.iter().map(|m| m.location.pcode.clone()).find(|c| *c != place)?;
        let mut again = one("AGAIN", &r.text(1), &r.text(2), &r.text(4)[..4]);
        again.registration_point = other.clone();
        again.movements[0].to = Some(other);
        again.members[0].father_name = None;
        again.members[0].sex = r.opt_text(3);
        let household = again.parse(t.store.gazetteer.as_ref(), t.store.today()).unwrap();
        let found = t.store.check_duplicates(&clerk, &household).unwrap();
        let first = found.first()?;
        (first.person.id == r.str(0) && !first.likely).then(|| (again, first.probability, r.text(0)))
    });
    let (again, probability, id) = possible.expect("a possible duplicate among 400 people written again");
    assert!((store::duplicates::POSSIBLE..store::duplicates::LIKELY).contains(&probability), "{probability}");
    // Held when the registrar asked to look first, with the person shown as possible...
    let held = t.store.register(&clerk, &again, store::registry::IfLikelyDuplicates::Hold).unwrap();
    let store::registry::Registration::Held(shown) = held else { panic!("not held") };
    assert!(shown.iter().any(|l| l.person.id == id && !l.likely));
    // ...and once confirmed, saved without asking a reviewer about a pair this weak.
    let pending = |store: &Store| store.duplicate_pairs(&clerk, Some("pending"), 1000).unwrap().len();
    let before = pending(&t.store);
    let saved = t.store.register(&clerk, &again, store::registry::IfLikelyDuplicates::Queue).unwrap();
    let store::registry::Registration::Saved { queued, .. } = saved else { panic!("not saved") };
    assert!(queued.iter().all(|l| l.likely), "only likely pairs are queued");
    assert!(queued.iter().all(|l| l.person.id != id));
    assert_eq!(pending(&t.store), before + queued.len());
}

fn with_number(mut input: HouseholdInput, kind: &str, number: &str) -> HouseholdInput {
    input.members[0].identifiers = vec![domain::IdentifierInput { kind: kind.into(), number: number.into() }];
    input
}

#[test]
fn a_document_number_finds_a_person_whose_names_and_age_were_written_otherwise() {
    for t in stores() {
        let clerk = registrar(&t.store);
        let first = register(
            &t.store,
            &clerk,
            &with_number(one("GAO-1", "Zeinabou", "Haïdara", "1984-03-02"), "national_id", "1 84 03 021 00487"),
        );
        for i in 0..30 {
            register(
                &t.store,
                &clerk,
                &one(&format!("OTHER-{i}"), "Aminata", &format!("Family{i}"), &format!("{}", 1950 + i)),
            );
        }
        // Another team: a spelling of its own, an age instead of a date, the number typed
        // with other separators and filed as a UNHCR number.
        let mut again = with_number(one("MOP-3", "Zenabu", "Aidara", "1990"), "unhcr", "184-03-021-00487");
        again.members[0].birth_date = None;
        again.members[0].estimated_age = Some(36);
        let again = again.parse(t.store.gazetteer.as_ref(), t.store.today()).unwrap();
        let found = t.store.check_duplicates(&clerk, &again).unwrap();
        assert_eq!(
            found.first().map(|l| l.person.id.as_str()),
            Some(first.members[0].person.id.as_str()),
            "{}: {found:?}",
            t.backend
        );
        // The registrar sees the number that matched; an information manager of the same
        // organisation does not.
        assert_eq!(found[0].person.identifiers.len(), 1);
        let manager = Actor { role: domain::Role::ImOfficer, ..clerk.clone() };
        let read = t.store.household_detail(&manager, &first.household.id).unwrap();
        assert!(read.members[0].person.identifiers.is_empty(), "{}: document numbers are need-to-know", t.backend);
        let read = t.store.household_detail(&clerk, &first.household.id).unwrap();
        assert_eq!(read.members[0].person.identifiers[0].number, "1 84 03 021 00487");
    }
}

#[test]
fn a_bad_document_number_is_named_and_never_echoed() {
    let t = sqlite();
    let mut input = with_number(one("GAO-1", "Awa", "Touré", "1990"), "passeport", "AB");
    input.members[0].identifiers.push(domain::IdentifierInput { kind: "permis".into(), number: "123456".into() });
    let err = input.parse(t.store.gazetteer.as_ref(), t.store.today()).unwrap_err();
    let fields: Vec<(&str, &str)> = err.0.iter().map(|e| (e.field.as_str(), e.expected.key())).collect();
    assert_eq!(
        fields,
        [("members[0].identifiers[0].number", "identifier_number"), ("members[0].identifiers[1].kind", "one_of")]
    );
    assert_eq!(err.0[0].value, domain::error::WITHHELD);
    assert!(err.0[0].expected.render(domain::Lang::Fr).contains("numéro de document"));
}

#[test]
fn a_merge_needs_a_reason_and_decisions_refine_the_next_run() {
    for t in stores() {
        let clerk = registrar(&t.store);
        let first = register(&t.store, &clerk, &one("GAO-1", "Fatoumata", "Maïga", "1990-05-01"));
        let second = register(&t.store, &clerk, &one("MOP-7", "Fatimata", "Maiga", "1990"));
        t.store.queue_duplicate(&clerk, &first.members[0].person.id, &second.members[0].person.id, 0.93).unwrap();
        let pair = t.store.duplicate_pairs(&clerk, None, 10).unwrap().remove(0);
        // The reviewer sees both households whole.
        assert_eq!((pair.a_household.len(), pair.b_household.len()), (1, 1));
        let refused = t.store.decide_duplicate(&clerk, &pair.id, Decision::Accept, "  ").unwrap_err();
        let store::StoreError::Invalid(fields) = refused else { panic!("{}: {refused:?}", t.backend) };
        assert_eq!((fields.0[0].field.as_str(), fields.0[0].expected.key()), ("reason", "merge_reason"));
        assert_eq!(t.store.duplicate_pairs(&clerk, Some("pending"), 10).unwrap().len(), 1, "nothing decided");
        // Rejecting needs no reason.
        t.store.decide_duplicate(&clerk, &pair.id, Decision::Reject, "").unwrap();
        let run = t.store.run_duplicate_detection(&clerk).unwrap();
        assert_eq!(run.decisions_used, 1, "{}: the reviewer's decision refines the model", t.backend);
    }
}
