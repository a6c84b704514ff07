-- Failed sign-ins of an account are counted from the audit log to throttle guessing.
CREATE INDEX audit_log_sign_in ON audit_log (action, actor_name, at);
