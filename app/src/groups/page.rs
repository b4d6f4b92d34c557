use super::api::{
    list_store_groups, CreateStoreGroup, DeleteStoreGroup, SetGroupGrant, SetGroupLocation,
};
use super::types::{StoreGroupView, StoreGroupsView};
use crate::components::feedback::{field_error, ActionError, EmptyState, ErrorView, Loading};
use crate::topic::Topic;
use leptos::prelude::*;
use leptos_meta::Title;

#[derive(Clone, Copy)]
struct Actions {
    create: ServerAction<CreateStoreGroup>,
    delete: ServerAction<DeleteStoreGroup>,
    location: ServerAction<SetGroupLocation>,
    grant: ServerAction<SetGroupGrant>,
}

#[component]
pub fn StoreGroupsPage() -> impl IntoView {
    let actions = Actions {
        create: ServerAction::<CreateStoreGroup>::new(),
        delete: ServerAction::<DeleteStoreGroup>::new(),
        location: ServerAction::<SetGroupLocation>::new(),
        grant: ServerAction::<SetGroupGrant>::new(),
    };
    let data = Resource::new(|| (), |_| list_store_groups());
    view! {
        <Title text="Store groups"/>
        <div class="page-header">
            <h1>"Store groups"</h1>
            <p class="muted">"Group stores by region or franchisee. An operator granted a group uses every store in it, including stores added later."</p>
        </div>
        <ActionError value=actions.delete.value()/>
        <ActionError value=actions.location.value()/>
        <ActionError value=actions.grant.value()/>
        <crate::live::LiveRegion id="groups" topics=&[Topic::Locations]>
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(view) => view! { <Groups view actions/> }.into_any(),
                        Err(error) => view! { <ErrorView error/> }.into_any(),
                    }
                })}
            </Suspense>
        </crate::live::LiveRegion>
    }
}

#[component]
fn Groups(view: StoreGroupsView, actions: Actions) -> impl IntoView {
    let can_manage = view.can_manage;
    let empty = view.groups.is_empty();
    let all_locations = view.locations.clone();
    let all_operators = view.operators.clone();
    let name_error = field_error(actions.create.value(), "name");
    view! {
        {can_manage.then(|| view! {
            <section class="panel">
                <h2>"New group"</h2>
                <ActionForm action=actions.create attr:class="grid-form">
                    <div class="field">
                        <label for="group-name">"Name"</label>
                        <input id="group-name" name="name" type="text" required maxlength="80"
                            placeholder="North region"
                            aria-invalid=move || name_error().is_some().to_string()
                            aria-describedby="group-name-error"/>
                        <span id="group-name-error" class="field-error" role="alert">{name_error}</span>
                    </div>
                    <div class="field end">
                        <button type="submit" class="button primary">"Create group"</button>
                    </div>
                </ActionForm>
            </section>
        })}
        {empty.then(|| view! {
            <section class="panel">
                <EmptyState title="No store groups yet" text="Create a group, add its stores, then grant it to operators."/>
            </section>
        })}
        {view.groups.into_iter().map(|g| view! {
            <GroupCard g can_manage actions locations=all_locations.clone() operators=all_operators.clone()/>
        }).collect_view()}
    }
}

#[component]
fn GroupCard(
    g: StoreGroupView,
    can_manage: bool,
    actions: Actions,
    locations: Vec<(String, String)>,
    operators: Vec<(String, String)>,
) -> impl IntoView {
    let addable: Vec<(String, String)> = locations
        .into_iter()
        .filter(|(id, _)| !g.locations.iter().any(|(l, _)| l == id))
        .collect();
    let grantable: Vec<(String, String)> = operators
        .into_iter()
        .filter(|(id, _)| !g.operators.iter().any(|(o, _)| o == id))
        .collect();
    let group_id = g.id.clone();
    let add_gid = g.id.clone();
    let grant_gid = g.id.clone();
    let section_label = format!("Store group {}", g.name);
    let delete_label = format!("Delete group {}", g.name);
    let add_label = format!("Store to add to {}", g.name);
    let grant_label = format!("Operator to grant {}", g.name);
    let title = g.name.clone();
    let add_id = format!("add-location-{}", g.id);
    let grant_id = format!("grant-operator-{}", g.id);
    view! {
        <section class="panel" aria-label=section_label>
            <div class="row-between">
                <h2>{title}</h2>
                {can_manage.then(|| view! {
                    <ActionForm action=actions.delete attr:class="inline-form">
                        <input type="hidden" name="group_id" value=group_id.clone()/>
                        <button type="submit" class="button small danger" aria-label=delete_label>"Delete group"</button>
                    </ActionForm>
                })}
            </div>
            <div class="two-columns">
                <div>
                    <h3>"Stores"</h3>
                    {g.locations.is_empty().then(|| view! { <p class="muted">"No stores in this group yet."</p> })}
                    <ul class="plain-list">
                        {g.locations.iter().map(|(id, name)| {
                            let gid = g.id.clone();
                            let label = format!("Take {name} out of {}", g.name);
                            let id = id.clone();
                            view! {
                                <li class="row-between">
                                    <a href=format!("/locations/{id}")>{name.clone()}</a>
                                    {can_manage.then(|| view! {
                                        <ActionForm action=actions.location attr:class="inline-form">
                                            <input type="hidden" name="group_id" value=gid/>
                                            <input type="hidden" name="location_id" value=id/>
                                            <input type="hidden" name="member" value="false"/>
                                            <button type="submit" class="button small subtle" aria-label=label>"Remove"</button>
                                        </ActionForm>
                                    })}
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                    {(can_manage && !addable.is_empty()).then(|| view! {
                        <ActionForm action=actions.location attr:class="inline-form">
                            <input type="hidden" name="group_id" value=add_gid/>
                            <input type="hidden" name="member" value="true"/>
                            <label for=add_id.clone() class="visually-hidden">{add_label}</label>
                            <select id=add_id.clone() name="location_id">
                                {addable.iter().map(|(id, name)| view! { <option value=id.clone()>{name.clone()}</option> }).collect_view()}
                            </select>
                            <button type="submit" class="button small">"Add store"</button>
                        </ActionForm>
                    })}
                </div>
                <div>
                    <h3>"Operators with access"</h3>
                    {g.operators.is_empty().then(|| view! { <p class="muted">"No operator is granted this group."</p> })}
                    <ul class="plain-list">
                        {g.operators.iter().map(|(id, email)| {
                            let gid = g.id.clone();
                            let label = format!("Revoke {email}'s access to {}", g.name);
                            let id = id.clone();
                            view! {
                                <li class="row-between">
                                    <span>{email.clone()}</span>
                                    {can_manage.then(|| view! {
                                        <ActionForm action=actions.grant attr:class="inline-form">
                                            <input type="hidden" name="group_id" value=gid/>
                                            <input type="hidden" name="user_id" value=id/>
                                            <input type="hidden" name="granted" value="false"/>
                                            <button type="submit" class="button small subtle" aria-label=label>"Revoke"</button>
                                        </ActionForm>
                                    })}
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                    {(can_manage && !grantable.is_empty()).then(|| view! {
                        <ActionForm action=actions.grant attr:class="inline-form">
                            <input type="hidden" name="group_id" value=grant_gid/>
                            <input type="hidden" name="granted" value="true"/>
                            <label for=grant_id.clone() class="visually-hidden">{grant_label}</label>
                            <select id=grant_id.clone() name="user_id">
                                {grantable.iter().map(|(id, email)| view! { <option value=id.clone()>{email.clone()}</option> }).collect_view()}
                            </select>
                            <button type="submit" class="button small">"Grant group"</button>
                        </ActionForm>
                    })}
                </div>
            </div>
        </section>
    }
}
