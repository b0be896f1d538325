-- Pending (unacknowledged) changes of one record, found without reading its whole history:
-- every pulled change asks which of its fields this laptop has not sent yet.
CREATE INDEX change_log_pending_by_record ON change_log(entity, entity_id) WHERE acked_at IS NULL;
