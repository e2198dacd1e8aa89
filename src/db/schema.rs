// The tables of `migrations/`, as diesel sees them. Kept by hand; `tests/schema.rs` checks it
// against a migrated database column by column.

diesel::table! {
    companies (id) {
        id -> Int8,
        domain -> Text,
        canonical_name -> Text,
        provider -> Nullable<Text>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    raw_leads (id) {
        id -> Int8,
        source -> Text,
        company_name -> Nullable<Text>,
        email -> Nullable<Text>,
        website -> Nullable<Text>,
        domain -> Text,
        payload -> Jsonb,
        ingested_at -> Timestamptz,
    }
}

diesel::table! {
    partner_center_referrals (id) {
        id -> Int8,
        referral_id -> Text,
        referral_type -> Nullable<Text>,
        #[sql_name = "type"]
        type_ -> Nullable<Text>,
        qualification -> Nullable<Text>,
        direction -> Nullable<Text>,
        status -> Nullable<Text>,
        substatus -> Nullable<Text>,
        engagement_id -> Nullable<Text>,
        company_name -> Nullable<Text>,
        customer_name -> Nullable<Text>,
        customer_country -> Nullable<Text>,
        domain -> Nullable<Text>,
        raw_domain -> Nullable<Text>,
        azure_tenant_id -> Nullable<Text>,
        deal_value -> Nullable<Numeric>,
        currency -> Nullable<Text>,
        link_status -> Text,
        linked_lead_id -> Nullable<Int8>,
        pc_created_at -> Nullable<Timestamptz>,
        pc_updated_at -> Nullable<Timestamptz>,
        content_hash -> Text,
        raw_data -> Jsonb,
        synced_at -> Timestamptz,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    domain_signals (domain) {
        domain -> Text,
        scan_status -> Text,
        scan_error -> Nullable<Text>,
        mx_hosts -> Nullable<Array<Text>>,
        mx_root -> Nullable<Text>,
        provider -> Nullable<Text>,
        gateway -> Nullable<Text>,
        local_provider -> Nullable<Text>,
        spf -> Nullable<Bool>,
        spf_record -> Nullable<Text>,
        dkim -> Nullable<Bool>,
        dkim_selectors -> Nullable<Array<Text>>,
        dmarc_policy -> Nullable<Text>,
        dmarc_coverage -> Nullable<Int4>,
        scanned_at -> Timestamptz,
        attempts -> Int4,
    }
}

diesel::table! {
    lead_scores (domain) {
        domain -> Text,
        readiness_score -> Int4,
        segment -> Text,
        reason -> Text,
        technical_heat -> Text,
        commercial_segment -> Text,
        commercial_heat -> Text,
        priority_category -> Text,
        priority_label -> Text,
        priority_score -> Int4,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    sync_runs (id) {
        id -> Int8,
        started_at -> Timestamptz,
        finished_at -> Nullable<Timestamptz>,
        status -> Text,
        forced -> Bool,
        dry_run -> Bool,
        source -> Text,
        direction -> Text,
        fetched -> Int4,
        new -> Int4,
        updated -> Int4,
        unchanged -> Int4,
        skipped -> Jsonb,
        failed -> Int4,
        unlinked -> Int4,
        companies_created -> Int4,
        companies_updated -> Int4,
        raw_leads_inserted -> Int4,
        scans_ok -> Int4,
        scans_failed -> Int4,
        scans_skipped_already_scanned -> Int4,
        scored -> Int4,
        pages -> Int4,
        duration_ms -> Int8,
        errors -> Jsonb,
    }
}

diesel::table! {
    sync_state (stream) {
        stream -> Text,
        cursor_updated_at -> Nullable<Timestamptz>,
        cursor_id -> Nullable<Text>,
        updated_at -> Timestamptz,
    }
}

diesel::joinable!(partner_center_referrals -> companies (linked_lead_id));

diesel::allow_tables_to_appear_in_same_query!(
    companies,
    raw_leads,
    partner_center_referrals,
    domain_signals,
    lead_scores,
    sync_runs,
    sync_state,
);
