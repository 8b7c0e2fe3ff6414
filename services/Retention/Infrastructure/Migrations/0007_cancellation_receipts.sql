-- Issue 20 (IWK-2.5): a cancelled account's person follows its removal, and reads its deletion certificate, on a receipt
-- whose link the cancellation notice carries: after the removal no contact is left to send the certificate to.
-- cancellation_receipt: the receipt's random id, set with cancelled_at; it names the subject to no one.
alter table retention_subjects add column cancellation_receipt uuid null;
create unique index retention_subjects_cancellation_receipt on retention_subjects (cancellation_receipt) where cancellation_receipt is not null;
