-- The schema-2 stream and receipts, copied into the compact tables by 0003's hook.
DROP TABLE change_v2;
DROP TABLE received_v2;
