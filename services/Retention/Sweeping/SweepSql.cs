namespace PrivacySuite.Retention.Sweeping;

/// <summary>
/// The sweep's rules as SQL over one batch of subjects (<c>subject_id &gt; @after and subject_id &lt;= @last</c>), so a
/// batch is decided and removed by the database in one statement instead of travelling to the service row by row.
/// A legal hold always wins (INF-6.4): a held subject yields no request at all, a held category keeps its tokens back.
/// Parameters: @after, @last, @as_of, @months (IWK-2.5's cancellation months), @cancel_action.
/// </summary>
internal static class SweepSql
{
    /// <summary>
    /// The decision, as common table expressions: <c>verdicts</c> (one row per subject not already with the vault),
    /// <c>doomed</c> (the tokens that go, with their action and reason; <c>whole</c> when the subject goes as a whole)
    /// and <c>held_subjects</c> (subjects a hold kept something of).
    /// </summary>
    private const string Decide =
        """
        subjects as (
            select subject_id, cancelled_at, minor_detected_at, erased_at
            from retention_subjects
            where subject_id > @after and subject_id <= @last and erasure_item_id is null
        ),
        holds as materialized (
            select subject_id, category from legal_holds
            where released_at is null and (subject_id is null or (subject_id > @after and subject_id <= @last))
        ),
        plan as (select action from termination_plans where ends_at <= @as_of),
        schedules as materialized (
            select distinct on (category, purpose) category, purpose, version, period_days, action, clock_trigger
            from retention_schedules order by category, purpose, version desc
        ),
        verdicts as materialized (
            select s.subject_id, s.cancelled_at,
                   exists (select 1 from holds h where h.subject_id = s.subject_id and h.category is null) as subject_held,
                   coalesce((select array_agg(distinct h.category) from holds h
                             where h.category is not null and (h.subject_id is null or h.subject_id = s.subject_id)), '{}') as held_categories,
                   -- Reasons that remove everything of a subject, strongest first.
                   case when s.erased_at is not null then null
                        when s.minor_detected_at is not null then 'erase'
                        when p.action is not null then p.action
                        when (s.cancelled_at at time zone 'UTC' + make_interval(months => @months)) at time zone 'UTC' <= @as_of then @cancel_action
                   end as whole_action,
                   case when s.erased_at is not null then null
                        when s.minor_detected_at is not null then 'minor-without-guardian-consent'
                        when p.action is not null then 'service-termination'
                        when (s.cancelled_at at time zone 'UTC' + make_interval(months => @months)) at time zone 'UTC' <= @as_of then 'account-cancellation'
                   end as whole_reason
            from subjects s left join plan p on true
        ),
        due as (
            select i.token, i.subject_id, i.category, i.purpose, i.stored_at, i.last_used_at,
                   v.whole_action is not null and cardinality(v.held_categories) = 0 as whole,
                   i.category = any (v.held_categories) as held,
                   coalesce(v.whole_action, coalesce(own.action, anyp.action)) as action,
                   coalesce(v.whole_reason, 'schedule:' || coalesce(own.category, anyp.category) || '/' || coalesce(own.purpose, anyp.purpose)
                                            || '/v' || coalesce(own.version, anyp.version)) as reason
            from verdicts v
            join inventory_items i on i.subject_id = v.subject_id
            left join schedules own on own.category = i.category and own.purpose = i.purpose
            left join schedules anyp on anyp.category = i.category and anyp.purpose = '*'
            left join purpose_fulfilments f on f.subject_id = i.subject_id and f.purpose = i.purpose
            where i.subject_id > @after and i.subject_id <= @last and i.state = 'active' and not v.subject_held
              and (v.whole_action is not null
                   or case coalesce(own.clock_trigger, anyp.clock_trigger)
                          when 'collection' then i.stored_at
                          when 'last-use' then coalesce(i.last_used_at, i.stored_at)
                          when 'account-cancellation' then v.cancelled_at
                          when 'purpose-fulfilled' then f.fulfilled_at
                      end + make_interval(hours => 24 * coalesce(own.period_days, anyp.period_days)) <= @as_of)
        ),
        doomed as materialized (select * from due where not held),
        held_subjects as (
            select subject_id from verdicts where subject_held or (whole_action is not null and cardinality(held_categories) > 0)
            union
            select subject_id from due where held
        )
        """;

    /// <summary>
    /// The requests made of <paramref name="removed"/> (a relation shaped like <c>doomed</c>): one per whole subject (even
    /// without a token: the vault may hold what retention never heard of), one per subject, category, action and reason
    /// otherwise. Tokens in ordinal order, with what the inventory said of each.
    /// </summary>
    private static string Requests(string removed) =>
        $$"""
        requests as (
            select v.subject_id, null::text as category, v.whole_action as action, v.whole_reason as reason,
                   coalesce(r.tokens, '{}') as tokens, coalesce(r.categories, '{}') as categories, coalesce(r.purposes, '{}') as purposes,
                   coalesce(r.stored_at, '{}') as stored_at, coalesce(r.last_used_at, '{}') as last_used_at
            from verdicts v
            left join (
                select subject_id, array_agg(token order by token collate "C") as tokens, array_agg(category order by token collate "C") as categories,
                       array_agg(purpose order by token collate "C") as purposes, array_agg(stored_at order by token collate "C") as stored_at,
                       array_agg(last_used_at order by token collate "C") as last_used_at
                from {{removed}} where whole group by subject_id
            ) r on r.subject_id = v.subject_id
            where v.whole_action is not null and not v.subject_held and cardinality(v.held_categories) = 0
            union all
            select subject_id, category, action, reason, array_agg(token order by token collate "C"), array_agg(category order by token collate "C"),
                   array_agg(purpose order by token collate "C"), array_agg(stored_at order by token collate "C"), array_agg(last_used_at order by token collate "C")
            from {{removed}} where not whole
            group by subject_id, category, action, reason
        )
        """;

    /// <summary>What a batch would request, without changing anything: one row per request, and one 'held' row with the held subjects.</summary>
    public static readonly string Preview =
        $"""
        with {Decide},
        {Requests("doomed")}
        select subject_id, category, action, reason, cardinality(tokens) from requests
        union all
        select null, null, 'held', null, count(*)::int from held_subjects
        """;

    /// <summary>
    /// One batch of a sweep in one statement: deletes the doomed inventory rows, records a sweep item per request
    /// (keeping what the rows said), marks whole subjects as with the vault, queues the requests in the outbox with
    /// @per_message removals per <see cref="RemovalsRequested"/>, and moves the sweep's cursor and counters.
    /// A row touched since the decision (a new last use) is not deleted and not requested; the next sweep decides anew.
    /// Further parameters: @sweep, @now, @examined, @message_type, @trace_parent, @category_names (DataCategory's names by value).
    /// </summary>
    public static readonly string Sweep =
        $"""
        with {Decide},
        gone as (
            delete from inventory_items i using doomed d
            where i.token = d.token and i.subject_id > @after and i.subject_id <= @last and i.state = 'active'
              and (d.whole or i.last_used_at is not distinct from d.last_used_at)
            returning d.*
        ),
        {Requests("gone")},
        items as (
            insert into sweep_items (id, sweep_id, subject_id, category, action, reason, tokens, token_categories, token_purposes,
                                     token_stored_at, token_last_used_at, requested_at, state)
            select retention_uuid_v7(@now), @sweep, subject_id, category, action, reason, tokens, categories, purposes, stored_at, last_used_at, @now, 'requested'
            from requests
            returning id, subject_id, category, action, reason, tokens
        ),
        with_vault as (
            update retention_subjects s set erasure_item_id = items.id
            from items
            where items.category is null and s.subject_id = items.subject_id and s.subject_id > @after and s.subject_id <= @last
        ),
        messages as (
            insert into outbox_messages (message_id, message_type, payload, trace_parent, created_at, next_attempt_at)
            select m.id, @message_type, jsonb_build_object('requestId', m.id, 'removals', m.removals, 'requestedAt', @now), @trace_parent, @now, @now
            from (
                select retention_uuid_v7(@now) as id,
                       jsonb_agg(jsonb_build_object('subjectId', subject_id, 'category', array_position(@category_names, category) - 1, 'action', action,
                                                    'sweepItemId', id, 'tokens', to_jsonb(tokens), 'reason', reason) order by subject_id, id) as removals
                from (select *, (row_number() over (order by subject_id, id) - 1) / @per_message as chunk from items) numbered
                group by chunk
            ) m
        )
        update sweeps s set
            cursor_subject = @last,
            subjects_examined = s.subjects_examined + @examined,
            batches = s.batches + 1,
            items_erasure = s.items_erasure + c.erasures,
            items_anonymisation = s.items_anonymisation + c.anonymisations,
            tokens_requested = s.tokens_requested + c.tokens,
            subjects_held = s.subjects_held + h.held
        from (select count(*) filter (where action = 'erase') as erasures, count(*) filter (where action = 'anonymise') as anonymisations,
                     coalesce(sum(cardinality(tokens)), 0) as tokens from items) c,
             (select count(*) as held from held_subjects) h
        where s.id = @sweep
        returning c.erasures, c.anonymisations
        """;

    /// <summary>The last subject of the next batch after @after, and how many subjects it holds (none: null and 0).</summary>
    public const string NextBatch =
        "select max(subject_id), count(*) from (select subject_id from retention_subjects where subject_id > @after order by subject_id limit @limit) b";
}
