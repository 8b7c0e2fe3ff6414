-- Issue 18.5: a non-consent legal basis (IWK-1.3) covers only the purposes it was recorded for; a read for any other
-- purpose needs the consent service's decision. Values stored before this carry no purposes, so their basis covers none:
-- every read of them asks the consent service, which still allows a purpose whose catalogue basis is not consent
-- (delivery.offline rests on the contract, protection on safe operation). Nothing is widened by the migration; a
-- product backend restores a basis's reach by storing the values again with the purposes it covers.
alter table personal_values add column basis_purposes text[] not null default '{}';
