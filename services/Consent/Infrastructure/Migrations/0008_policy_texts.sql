-- Issue 20.4: a product backend reads the current version of a policy and its text. Each version published from now on
-- carries its text in en and zh-CN (Markdown), stored beside the version in the same transaction. Versions published
-- before have no text and answer none; they are not given one after the fact.
create table policy_version_texts (
    policy_id  text not null,
    version    text not null,
    text_en    text not null,
    text_zh_cn text not null,
    primary key (policy_id, version),
    foreign key (policy_id, version) references policy_versions (policy_id, version)
);
