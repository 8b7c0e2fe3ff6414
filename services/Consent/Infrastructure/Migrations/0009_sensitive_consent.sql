-- Issue 21.3: sensitive categories (PIPL Art. 28: identity, location) need the subject's separate consent for each
-- purpose (Art. 29). A consent records the purpose's sensitive categories the subject agreed to on their own; the
-- history records them with each grant, and a withdrawal of one of them as its own action.
alter table consents add column sensitive_categories text[] not null default '{}';
alter table consent_history add column sensitive_categories text[];
alter table consent_history add column category text;
