/** Small readers shared by the rules: policy statements, lists, booleans as Terraform writes them. */
import type { Attrs } from "./engine";

export interface Statement {
  Sid?: string;
  Effect: string;
  Action?: string | string[];
  Resource?: string | string[];
  Principal?: Attrs;
  Condition?: Record<string, Record<string, unknown>>;
}

export const list = <T>(v: T | T[] | undefined | null): T[] => (v === undefined || v === null ? [] : Array.isArray(v) ? v : [v]);
export const statements = (policy: unknown): Statement[] => {
  if (typeof policy !== "string") return [];
  try {
    return list((JSON.parse(policy) as { Statement?: Statement | Statement[] }).Statement);
  } catch {
    return [];
  }
};
/** A Deny that applies to requests made without TLS. */
export const insecureTransportDenial = (s: Statement) =>
  s.Effect === "Deny" && String(s.Condition?.Bool?.["aws:SecureTransport"]) === "false";
export const deniesInsecureTransport = (policy: unknown) => statements(policy).some(insecureTransportDenial);
export const isTrue = (v: unknown) => v === true || v === "true";

export const allows = (policy: unknown) => statements(policy).filter((s) => s.Effect === "Allow");
