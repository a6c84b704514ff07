//! The demo office as a sync node, with a field laptop in Gao that worked offline: the laptop
//! received Gao's households, registered a family, and changed a household's intention that
//! the office had changed too; the office typed the laptop's family from a paper list, so both
//! find the pair in their duplicates queue. The *Synchronisation* page then shows the laptop (last
//! contact, what it has not acknowledged) and the clash to settle, with both values and who
//! set them. The laptop's own database sits in the demo folder (`terrain-gao/`): it can be
//! served too (`djoliba --data-dir djoliba-data-demo/terrain-gao serve --listen 127.0.0.1:8081`).

use std::path::Path;

use anyhow::Context;
use domain::registry::{HouseholdInput, MovementInput, PersonInput};
use store::registry::HouseholdPatch;
use store::{Actor, Store, Target};

use super::ORGANISATION;

/// The laptop's enrolled régions: Gao.
const REGION: &str = "ML07";

pub fn load(office: &Store, demo_dir: &Path) -> anyhow::Result<()> {
    if office.sync_node()?.is_some() {
        return Ok(());
    }
    eprintln!("Making the demo office a sync node, with a field laptop in Gao…");
    let system = Actor::system();
    office.sync_init(&system, "Bamako (démo)")?;
    // Accounts of the demo organisation travel to its laptops with their passwords.
    let organisation = Some(ORGANISATION);
    office.create_user(&system, "bamako-saisie", domain::Role::Registrar, organisation, "bamako-saisie-demo")?;
    office.create_user(&system, "gao-terrain", domain::Role::Registrar, organisation, "gao-terrain-demo")?;
    let at_office = office.verify_login("bamako-saisie", "bamako-saisie-demo")?.context("the office's clerk")?;

    let laptop_dir = demo_dir.join("terrain-gao");
    if laptop_dir.exists() {
        // Left by an interrupted load: the laptop starts again with the office.
        std::fs::remove_dir_all(&laptop_dir).context("cannot clear the demo laptop's folder")?;
    }
    let (laptop, _) = Store::open(&Target::default_sqlite(&laptop_dir)).context("cannot open the demo laptop")?;
    let field = laptop.sync_init(&system, "Gao (démo, terrain)")?;
    let enrolment = office.sync_enrol(&system, &field, &[ORGANISATION.into()], &[REGION.into()])?;
    laptop.sync_connect(&system, &enrolment.node, "http://127.0.0.1:8080", &enrolment.token, None)?;
    exchange(office, &laptop)?;
    let in_the_field = laptop.verify_login("gao-terrain", "gao-terrain-demo")?.context("the clerk on the laptop")?;

    // Offline: the laptop registers a family; both offices change one household's intention.
    let household = office.db.read(|tx| {
        tx.query_opt(
            "SELECT id, intention FROM households WHERE registration_point LIKE $1 ORDER BY external_id LIMIT 1",
            store::params![format!("{REGION}%")],
        )
        .map(|r| r.map(|r| (r.text(0), r.opt_text(1))))
    })?;
    let (household, now) = household.context("a demo household in Gao")?;
    // Two intentions other than the one recorded.
    let mut others =
        ["return", "integrate_locally", "settle_elsewhere"].into_iter().filter(|i| Some(*i) != now.as_deref());
    let (at_bamako, at_gao) = (others.next().unwrap_or("return"), others.next().unwrap_or("undecided"));
    let intention = |intention: &str| HouseholdPatch {
        intention: Some(intention.into()),
        reason: "visite à domicile".into(),
        ..Default::default()
    };
    office.update_household(&at_office, &household, &intention(at_bamako))?;
    laptop.update_household(&in_the_field, &household, &intention(at_gao))?;
    let family = arrived_in_gao().parse(laptop.gazetteer.as_ref(), laptop.today()).map_err(|e| {
        anyhow::anyhow!(
            "the demo laptop's family does not parse: {:?}",
            e.0.iter().map(|f| &f.field).collect::<Vec<_>>()
        )
    })?;
    laptop.register_household(&in_the_field, &family)?;
    // Meanwhile the office typed the same family from a partner's paper list, the head's name
    // spelled otherwise: once exchanged, each side finds the pair in its duplicates queue.
    let mut from_the_list = arrived_in_gao();
    from_the_list.external_id = "BKO-LISTE-0457".into();
    from_the_list.members[0].given_name = "Fatimatou".into();
    let from_the_list = from_the_list.parse(office.gazetteer.as_ref(), office.today()).map_err(|e| {
        anyhow::anyhow!(
            "the demo's listed family does not parse: {:?}",
            e.0.iter().map(|f| &f.field).collect::<Vec<_>>()
        )
    })?;
    office.register_household(&at_office, &from_the_list)?;

    exchange(&laptop, office)?;
    exchange(office, &laptop)?;
    office.check_arrivals()?;
    laptop.check_arrivals()?;
    Ok(())
}

/// Everything `from` holds that `to` lacks, as `djoliba sync now` sends it (without the
/// envelope: both are in this process).
fn exchange(from: &Store, to: &Store) -> anyhow::Result<()> {
    let to_node = to.sync_node()?.context("the receiving node")?;
    let from_node = from.sync_node()?.context("the sending node")?;
    let mut theirs = to.sync_vector()?;
    loop {
        let (batch, more) = from.sync_changes_for(&to_node.node_id, &theirs, 5_000)?;
        if batch.changes.is_empty() {
            break;
        }
        let received = to.sync_receive(batch)?;
        anyhow::ensure!(
            received.refused.is_empty(),
            "the demo's sync refused {} changes: {:?}",
            received.refused.len(),
            received.refused.first()
        );
        theirs = received.vector;
        if !more {
            break;
        }
    }
    from.sync_contact(&to_node.node_id, &theirs)?;
    to.sync_contact(&from_node.node_id, &from.sync_vector()?)?;
    Ok(())
}

/// A family of three displaced from Ménaka to Gao, registered on the laptop.
fn arrived_in_gao() -> HouseholdInput {
    let person = |id: &str, given: &str, sex: &str, relationship: &str, birth: &str| PersonInput {
        external_id: Some(id.into()),
        given_name: given.into(),
        family_name: "Ag Mohamed".into(),
        sex: Some(sex.into()),
        birth_date: Some(birth.into()),
        relationship: Some(relationship.into()),
        ..Default::default()
    };
    HouseholdInput {
        external_id: "GAO-TERRAIN-0001".into(),
        registration_point: "ML070101".into(),
        registration_date: "2024-06-12".into(),
        population_group: "IDP".into(),
        origin: Some("ML100101".into()),
        members: vec![
            person("1", "Fatimata", "f", "head", "1988"),
            person("2", "Ibrahim", "m", "child", "2014-02-11"),
            person("3", "Aïcha", "f", "child", "2019-09-30"),
        ],
        movements: vec![MovementInput {
            kind: "displacement".into(),
            date: "2024-06-02".into(),
            from: Some("ML100101".into()),
            to: Some("ML070101".into()),
            cause: Some("armed_conflict".into()),
            ..Default::default()
        }],
        ..Default::default()
    }
}
