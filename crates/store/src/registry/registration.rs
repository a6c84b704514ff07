//! The registration use case, the same for the API and the form: parse, check for likely
//! duplicates, then save and queue them for review, or hold the registration for the
//! registrar to look at them, in one transaction.

use domain::registry::HouseholdInput;
use serde::{Deserialize, Serialize};

use super::HouseholdDetail;
use crate::duplicates::{check_detail, likely_in_sight, queue_pair, LikelyDuplicate};
use crate::error::StoreError;
use crate::{Actor, Store};

/// What a registration does when the registry already holds people likely to be its members.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum IfLikelyDuplicates {
    /// Save the household and queue each likely pair for review (the API's default, and the
    /// form once the registrar has seen them and confirmed).
    #[default]
    Queue,
    /// Save nothing and answer the likely and possible duplicates.
    Hold,
}

/// What became of a registration.
#[derive(Debug)]
pub enum Registration {
    /// Saved; the likely duplicates that were queued for review, if any.
    Saved { detail: Box<HouseholdDetail>, queued: Vec<LikelyDuplicate> },
    /// Not saved: people already registered who are likely or possibly the same as members.
    Held(Vec<LikelyDuplicate>),
}

/// A saved registration as the API answers it: the household and what was queued.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Registered {
    #[serde(flatten)]
    pub detail: HouseholdDetail,
    /// Registered people likely to be members of this household, queued for review.
    pub likely_duplicates: Vec<LikelyDuplicate>,
}

impl Store {
    /// Registers a household after checking the registry (within the actor's scope) for its
    /// members. The check's audit row, the household, and the queued pairs commit together.
    pub fn register(
        &self,
        actor: &Actor,
        input: &HouseholdInput,
        if_likely: IfLikelyDuplicates,
    ) -> Result<Registration, StoreError> {
        actor.require_write()?;
        let (now, today) = (self.now_ms(), self.today());
        let household = input.parse_registration(self.gazetteer.as_ref(), today)?;
        let found = self.probe_duplicates(&household)?;
        let saved = self.db.write(|tx| {
            let likely = likely_in_sight(tx, actor, found)?;
            crate::audit::record(tx, actor, now, "check_duplicates", "person", "", check_detail(&household, &likely))?;
            // Held on possible duplicates too: the registrar looks before saving.
            if !likely.is_empty() && if_likely == IfLikelyDuplicates::Hold {
                return Ok(Err(likely));
            }
            let (id, members) = self.insert_registration(tx, actor, &household, now, today)?;
            // Only the likely ones go to the review queue; a possible one was seen, or is
            // too weak to ask a reviewer about.
            let likely: Vec<LikelyDuplicate> = likely.into_iter().filter(|l| l.likely).collect();
            for l in &likely {
                if let Some(member) = members.get(l.member) {
                    queue_pair(tx, actor, &l.person.id, member, l.probability, now)?;
                }
            }
            Ok(Ok((id, likely)))
        })?;
        match saved {
            Ok((id, queued)) => {
                Ok(Registration::Saved { detail: Box::new(self.household_detail(actor, &id)?), queued })
            }
            Err(likely) => Ok(Registration::Held(likely)),
        }
    }
}
