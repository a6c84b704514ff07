//! Reference data: places of the gazetteer, population groups, sectors, displacement sites.

use super::*;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LocationQuery {
    /// Name or part of it; accents and case ignored; aliases and old spellings found.
    pub q: Option<String>,
    /// Only units inside this P-code.
    pub parent: Option<String>,
    /// Only units of this admin level (0–3).
    pub level: Option<i64>,
    pub limit: Option<usize>,
}

/// Searches the gazetteer (COD-AB 2021-12-20).
#[utoipa::path(get, path = "/api/v1/locations", tag = "reference", params(LocationQuery), responses((status = 200, body = Vec<LocationMatch>)), security(("bearer" = [])))]
pub async fn search_locations(
    State(state): State<AppState>,
    Authenticated(_user): Authenticated,
    Query(q): Query<LocationQuery>,
) -> Result<Json<Vec<LocationMatch>>, ApiError> {
    if let Some(level) = q.level.filter(|l| !(0..=3).contains(l)) {
        return Err(StoreError::invalid("level", level.to_string(), domain::Message::AdminLevel).into());
    }
    let limit = q.limit.unwrap_or(20).clamp(1, 800);
    let parent = q.parent.map(|p| p.trim().to_ascii_uppercase());
    Ok(Json(state.store.gazetteer.search(q.q.as_deref().unwrap_or(""), parent.as_deref(), q.level, limit)))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct LocationDetail {
    #[serde(flatten)]
    pub location: store::reference::Location,
    pub parents: Vec<store::reference::Location>,
    pub aliases: Vec<String>,
}

/// One location by P-code, with its parents and aliases.
#[utoipa::path(get, path = "/api/v1/locations/{pcode}", tag = "reference", params(("pcode" = String, Path)), responses((status = 200, body = LocationDetail), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn get_location(
    State(state): State<AppState>,
    Authenticated(_user): Authenticated,
    Path(pcode): Path<String>,
) -> Result<Json<LocationDetail>, ApiError> {
    let g = &state.store.gazetteer;
    let code = pcode.trim().to_ascii_uppercase();
    let location = g.get(&code).cloned().ok_or(StoreError::NotFound("location"))?;
    let parents = (0..location.admin_level).filter_map(|level| g.ancestor_at(&code, level).cloned()).collect();
    let aliases = g.aliases().iter().filter(|a| a.pcode == code).map(|a| a.alias.clone()).collect();
    Ok(Json(LocationDetail { location, parents, aliases }))
}

#[utoipa::path(get, path = "/api/v1/reference/population-groups", tag = "reference", responses((status = 200, body = Vec<PopulationGroup>)), security(("bearer" = [])))]
pub async fn population_groups(
    State(state): State<AppState>,
    Authenticated(_user): Authenticated,
) -> Json<Vec<PopulationGroup>> {
    Json(state.store.gazetteer.population_groups.clone())
}

#[utoipa::path(get, path = "/api/v1/reference/sectors", tag = "reference", responses((status = 200, body = Vec<Sector>)), security(("bearer" = [])))]
pub async fn sectors(State(state): State<AppState>, Authenticated(_user): Authenticated) -> Json<Vec<Sector>> {
    Json(state.store.gazetteer.sectors.clone())
}

/// Displacement sites (camps, collective centres, informal sites), by code.
#[utoipa::path(get, path = "/api/v1/sites", tag = "reference", responses((status = 200, body = Vec<store::sites::Site>)), security(("bearer" = [])))]
pub async fn list_sites(
    State(state): State<AppState>,
    Authenticated(_user): Authenticated,
) -> Result<Json<Vec<store::sites::Site>>, ApiError> {
    Ok(Json(run(&state, |store| store.list_sites()).await?))
}

/// Registers a site in a commune; its code (commune P-code, "S", number) is used like a
/// P-code in registrations, movements and imports, and figures count by site at level 4.
#[utoipa::path(post, path = "/api/v1/sites", tag = "reference", request_body = store::sites::NewSite,
    responses((status = 201, body = store::sites::Site), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn create_site(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Json(body): Json<store::sites::NewSite>,
) -> Result<(StatusCode, Json<store::sites::Site>), ApiError> {
    Ok((StatusCode::CREATED, Json(run(&state, move |store| store.create_site(&actor, &body)).await?)))
}
