// The only module that talks to the backend. One typed function per call, one error type,
// two transports: Tauri's invoke inside the desktop app, HTTP to linkwell-bridge in a browser.
// Every rule lives in linkwell-core (crates/linkwell-core/src/api.rs); nothing here decides.

/** Every failure a screen sees: a stable code, words for the person, the field at fault. */
export class ApiError extends Error {
  constructor(
    public code: string,
    message: string,
    public field: string | null = null,
    public fields: FieldError[] = [],
    /** The particular refusal (`likely_same_person`, `open_episode_exists`...), if any. */
    public reason: string | null = null,
  ) {
    super(message);
    this.name = 'ApiError';
  }
  /** The message for one field, if the core named it. */
  forField(name: string): string | undefined {
    return this.fields.find((f) => f.field === name)?.message;
  }
}

type Transport = (method: string, args: unknown) => Promise<unknown>;

interface TauriInternals {
  invoke: (cmd: string, args?: unknown) => Promise<unknown>;
}

function tauriTransport(internals: TauriInternals): Transport {
  return async (method, args) => {
    try {
      return await internals.invoke('api', { method, args: args ?? {} });
    } catch (e) {
      throw toApiError(e);
    }
  };
}

const TOKEN_KEY = 'linkwell.bridge.token';

function bridgeToken(): string {
  const url = new URL(window.location.href);
  const fromUrl = url.searchParams.get('token');
  if (fromUrl) {
    sessionStorage.setItem(TOKEN_KEY, fromUrl);
    return fromUrl;
  }
  return sessionStorage.getItem(TOKEN_KEY) ?? '';
}

function httpTransport(): Transport {
  const token = bridgeToken();
  return async (method, args) => {
    let res: Response;
    try {
      const body = JSON.stringify(args ?? {});
      res = await fetch(`/api/${method}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
        body,
        // A draft saved as the page closes must still arrive (keepalive allows 64 KB).
        keepalive: method === 'save_draft' && body.length < 60000,
      });
    } catch {
      throw new ApiError('unreachable', 'Linkwell is not running. Start it again and reload this page.');
    }
    const body = await res.json().catch(() => null);
    if (!res.ok) throw toApiError(body);
    return body;
  };
}

function toApiError(e: unknown): ApiError {
  if (e instanceof ApiError) return e;
  if (e && typeof e === 'object' && 'code' in e && 'message' in e) {
    const o = e as {
      code: string;
      message: string;
      field?: string | null;
      fields?: FieldError[];
      reason?: string | null;
    };
    return new ApiError(o.code, o.message, o.field ?? null, o.fields ?? [], o.reason ?? null);
  }
  return new ApiError('internal', typeof e === 'string' ? e : 'Something went wrong. Nothing was changed.');
}

const internals = (window as unknown as { __TAURI_INTERNALS__?: TauriInternals }).__TAURI_INTERNALS__;
const transport: Transport = internals ? tauriTransport(internals) : httpTransport();
export const inDesktopApp = Boolean(internals);

/** Listeners told after every successful change (the sync status refreshes its count). */
const changeListeners = new Set<() => void>();
export function onChange(f: () => void): void {
  changeListeners.add(f);
}

/** Listeners told when a call finds Linkwell locked (idle time, or locked elsewhere). */
const lockListeners = new Set<() => void>();
export function onLocked(f: () => void): void {
  lockListeners.add(f);
}

async function call(method: string, args?: unknown): Promise<unknown> {
  try {
    return await transport(method, args);
  } catch (e) {
    if (e instanceof ApiError && e.code === 'locked') lockListeners.forEach((f) => f());
    throw e;
  }
}
async function read<T>(method: string, args?: unknown): Promise<T> {
  return (await call(method, args)) as T;
}
async function write<T>(method: string, args?: unknown): Promise<T> {
  const out = (await call(method, args)) as T;
  changeListeners.forEach((f) => f());
  return out;
}

// ---- Types ----
// Generated from the core's Rust types by ts-rs (`cargo test` writes ui/src/generated/; CI
// fails when they are out of date). Only answers the core still builds as JSON by hand are
// typed here.
import type { Appointment } from './generated/Appointment';
import type { AuditEntry } from './generated/AuditEntry';
import type { CheckAnswer } from './generated/CheckAnswer';
import type { Choice } from './generated/Choice';
import type { GreenBookPreview } from './generated/GreenBookPreview';
import type { ImportReport } from './generated/ImportReport';
import type { FeedImportReport } from './generated/FeedImportReport';
import type { StoppedFeedImport } from './generated/StoppedFeedImport';
import type { Introduction } from './generated/Introduction';
import type { LockState } from './generated/LockState';
import type { Page } from './generated/Page';
import type { PassphraseChanged } from './generated/PassphraseChanged';
import type { PrintedPdf } from './generated/PrintedPdf';
import type { ProfileInfo } from './generated/ProfileInfo';
import type { ReportAnswer } from './generated/ReportAnswer';
import type { ReportRequest } from './generated/ReportRequest';
import type { SavedGreenBook } from './generated/SavedGreenBook';
import type { StatusAnswer } from './generated/StatusAnswer';
import type { SyncOutcome } from './generated/SyncOutcome';
import type { TextRun } from './generated/TextRun';
import type { Vocabularies } from './generated/Vocabularies';
import type { CaseloadFilter } from './generated/CaseloadFilter';
import type { CaseloadRow } from './generated/CaseloadRow';
import type { Consent } from './generated/Consent';
import type { ContactAttempt } from './generated/ContactAttempt';
import type { Episode } from './generated/Episode';
import type { FieldError } from './generated/FieldError';
import type { FollowUpDue } from './generated/FollowUpDue';
import type { FollowUpDecision } from './generated/FollowUpDecision';
import type { FollowUpDecisionInput } from './generated/FollowUpDecisionInput';
import type { InstrumentForm } from './generated/InstrumentForm';
import type { MeasureInput } from './generated/MeasureInput';
import type { GoalDetail } from './generated/GoalDetail';
import type { GoalStep } from './generated/GoalStep';
import type { GreenBookOptions } from './generated/GreenBookOptions';
import type { Handover } from './generated/Handover';
import type { Measure } from './generated/Measure';
import type { NewReferral } from './generated/NewReferral';
import type { NoteRevision } from './generated/NoteRevision';
import type { NoteWithHistory } from './generated/NoteWithHistory';
import type { OnwardReferral } from './generated/OnwardReferral';
import type { OnwardView } from './generated/OnwardView';
import type { Person } from './generated/Person';
import type { PersonRecord } from './generated/PersonRecord';
import type { PersonInput } from './generated/PersonInput';
import type { PersonMatch } from './generated/PersonMatch';
import type { Referral } from './generated/Referral';
import type { ReferralInput } from './generated/ReferralInput';
import type { ReviewDue } from './generated/ReviewDue';
import type { RiskFlag } from './generated/RiskFlag';
import type { Schedule } from './generated/Schedule';
import type { SearchHit } from './generated/SearchHit';
import type { Service } from './generated/Service';
import type { CapacityInput } from './generated/CapacityInput';
import type { WaitingInput } from './generated/WaitingInput';
import type { WaitingListEntry } from './generated/WaitingListEntry';
import type { Waiting } from './generated/Waiting';
import type { GroupAttendance } from './generated/GroupAttendance';
import type { LeadFeedback } from './generated/LeadFeedback';
import type { LeadFeedbackInput } from './generated/LeadFeedbackInput';
import type { ServiceFilter } from './generated/ServiceFilter';
import type { ServiceInput } from './generated/ServiceInput';
import type { Session } from './generated/Session';
import type { SetupInput } from './generated/SetupInput';
import type { Suggestion } from './generated/Suggestion';
import type { SyncStatus } from './generated/SyncStatus';
import type { ReviewItem } from './generated/ReviewItem';
import type { ReviewSettlement } from './generated/ReviewSettlement';
import type { TimelineItem } from './generated/TimelineItem';
import type { Today } from './generated/Today';
import type { WellbeingPlan } from './generated/WellbeingPlan';
import type { Worker } from './generated/Worker';
import type { Referrer } from './generated/Referrer';
import type { ReferrerInput } from './generated/ReferrerInput';
import type { ReferrerMessage } from './generated/ReferrerMessage';
import type { MessageReview } from './generated/MessageReview';
import type { MessageOptions } from './generated/MessageOptions';
import type { MessageDue } from './generated/MessageDue';
import type { MessageSection } from './generated/MessageSection';
import type { SentInput } from './generated/SentInput';
export type {
  PersonRecord,
  Appointment,
  AuditEntry,
  CaseloadFilter,
  CaseloadRow,
  Consent,
  ContactAttempt,
  Episode,
  FieldError,
  FollowUpDue,
  GoalDetail,
  GoalStep,
  GreenBookOptions,
  Handover,
  Measure,
  NewReferral,
  NoteRevision,
  NoteWithHistory,
  OnwardReferral,
  OnwardView,
  Waiting,
  WaitingListEntry,
  LeadFeedback,
  Person,
  PersonInput,
  PersonMatch,
  Referral,
  ReferralInput,
  ReviewDue,
  RiskFlag,
  Schedule,
  SearchHit,
  Service,
  ServiceFilter,
  ServiceInput,
  Session,
  SetupInput,
  Suggestion,
  SyncStatus,
  ReviewItem,
  ReviewSettlement,
  TimelineItem,
  Today,
  WellbeingPlan,
  Worker,
};
export type Id = string;
export type {
  Referrer,
  ReferrerInput,
  ReferrerMessage,
  MessageReview,
  MessageOptions,
  MessageDue,
  MessageSection,
  SentInput,
};
export type { Choice, Vocabularies, GreenBookPreview, LockState, SyncOutcome };
export type { FollowUpDecisionInput, InstrumentForm, MeasureInput };
export type { ImportReport, FeedImportReport, StoppedFeedImport };
export type { ReportAnswer, ReportRequest };
export type { ReportTable } from './generated/ReportTable';
export type Status = StatusAnswer;
export type Check = CheckAnswer;
export type Profile = ProfileInfo;
export type PreviewPage = Page;
export type PreviewRun = TextRun;
type DraftFields = Record<string, string | boolean | string[]>;

// ---- Calls ----
export const api = {
  lockState: () => read<LockState>('lock_state'),
  createProfile: (setup: SetupInput, passphrase: string, passphrase_again: string, demo: boolean) =>
    read<LockState>('create_profile', { setup, passphrase, passphrase_again, demo }),
  unlock: (profile: string | null, passphrase: string) => read<LockState>('unlock', { profile, passphrase }),
  lock: () => read<LockState>('lock'),
  keepAlive: () => read<null>('keep_alive'),
  changePassphrase: (current: string, new_passphrase: string, new_passphrase_again: string) =>
    read<PassphraseChanged>('change_passphrase', { current, new_passphrase, new_passphrase_again }),
  recover: (profile: string | null, recovery_code: string, new_passphrase: string, new_passphrase_again: string) =>
    read<LockState>('recover', { profile, recovery_code, new_passphrase, new_passphrase_again }),
  encryptProfile: (profile: string | null, passphrase: string, passphrase_again: string) =>
    read<LockState>('encrypt_profile', { profile, passphrase, passphrase_again }),
  setIdleLock: (minutes: number) => read<LockState>('set_idle_lock', { minutes }),
  saveDraft: (key: string, fields: DraftFields) => read<null>('save_draft', { key, fields }),
  draft: (key: string) => read<DraftFields | null>('draft', { key }),
  discardDraft: (key: string) => read<null>('discard_draft', { key }),
  status: () => read<Status>('status'),
  setup: (setup: SetupInput, demo: boolean) => write<Status>('setup', { setup, demo }),
  vocabularies: () => read<Vocabularies>('vocabularies'),
  workers: () => read<Worker[]>('workers'),
  today: (date?: string) => read<Today>('today', { date }),
  caseload: (filter: CaseloadFilter) => read<CaseloadRow[]>('caseload', { filter }),
  search: (text: string, kind?: string) => read<SearchHit[]>('search', { text, kind, limit: 30 }),
  checkNewReferral: (referral: NewReferral) => read<Check>('check_new_referral', { referral }),
  takeReferral: (referral: NewReferral) =>
    write<{ person: Person; referral: Referral; episode: Episode }>('take_referral', { referral }),
  personMatches: (person: PersonInput) => read<PersonMatch[]>('person_matches', { person }),
  personRecord: (person_id: Id) => read<PersonRecord>('person_record', { person_id }),
  checkPerson: (person: PersonInput) => read<Check>('check_person', { person }),
  updatePerson: (person_id: Id, person: PersonInput) => write<Person>('update_person', { person_id, person }),
  reviewRiskFlag: (flag_id: Id, keep: boolean, next_review_on?: string) =>
    write<RiskFlag>('review_risk_flag', { flag_id, keep, next_review_on }),
  recordConsent: (person_id: Id, consent: { kind: string; given: boolean; note?: string }) =>
    write<Consent>('record_consent', { person_id, consent }),
  addRiskFlag: (person_id: Id, flag: { kind: string; review_on: string; note?: string }) =>
    write<RiskFlag>('add_risk_flag', { person_id, flag }),
  logContactAttempt: (
    referral_id: Id,
    attempt: { attempted_at: string; method: string; outcome: string; note?: string },
  ) => write<ContactAttempt>('log_contact_attempt', { referral_id, attempt }),
  handOver: (episode_id: Id, to_worker_id: Id, to_stage: string, note: string) =>
    write<Handover>('hand_over', { episode_id, to_worker_id, to_stage, note }),
  closeEpisode: (episode_id: Id, reason: string, closed_on: string) =>
    write<Episode>('close_episode', { episode_id, reason, closed_on }),
  updateSessionAttendance: (session_id: Id, attendance: string) =>
    write<Session>('update_session_attendance', { session_id, attendance }),
  reopenEpisode: (episode_id: Id) => write<Episode>('reopen_episode', { episode_id }),
  recordSession: (person_id: Id, session: Record<string, unknown>) =>
    write<Session>('record_session', { person_id, session }),
  addNote: (person_id: Id, body: string, session_id?: Id) =>
    write<NoteWithHistory>('add_note', { person_id, body, session_id }),
  reviseNote: (note_id: Id, supersedes: Id, body: string) =>
    write<NoteWithHistory>('revise_note', { note_id, supersedes, body }),
  retractNote: (note_id: Id, reason: string) => write<NoteWithHistory>('retract_note', { note_id, reason }),
  saveWellbeingPlan: (person_id: Id, plan: Record<string, string | undefined>) =>
    write<WellbeingPlan>('save_wellbeing_plan', { person_id, plan }),
  addGoal: (person_id: Id, goal: { text: string; five_ways: string; steps: { text: string; target_on?: string }[] }) =>
    write<GoalDetail>('add_goal', { person_id, goal }),
  setStepStatus: (step_id: Id, status: string) => write<GoalStep>('set_step_status', { step_id, status }),
  rateGoal: (goal_id: Id, score: number) => write<unknown>('rate_goal', { goal_id, score }),
  recordMeasure: (person_id: Id, measure: MeasureInput) => write<Measure>('record_measure', { person_id, measure }),
  decideFollowUp: (person_id: Id, follow_up: FollowUpDecisionInput) =>
    write<FollowUpDecision>('decide_follow_up', { person_id, follow_up }),
  instrumentForms: () => read<InstrumentForm[]>('instrument_forms'),
  setGoalStatus: (goal_id: Id, status: string) => write<unknown>('set_goal_status', { goal_id, status }),
  recordAccompanied: (onward_id: Id, accompanied: { worker_id: Id | null; volunteer_name: string | null }) =>
    write<OnwardReferral>('record_accompanied', { onward_id, accompanied }),
  services: (filter: ServiceFilter) => read<Service[]>('services', { filter }),
  service: (service_id: Id) => read<Service>('service', { service_id }),
  addService: (service: ServiceInput) => write<Service>('add_service', { service }),
  updateService: (service_id: Id, service: ServiceInput) => write<Service>('update_service', { service_id, service }),
  verifyService: (service_id: Id) => write<Service>('verify_service', { service_id }),
  importDirectory: (text: string) => write<ImportReport>('import_directory', { text }),
  /** Imports a feed from its address, page by page; carries on where the last import of it stopped. */
  importDirectoryFeed: (url: string, restart = false) =>
    write<FeedImportReport>('import_directory_feed', { url, restart }),
  stoppedFeedImport: () => read<StoppedFeedImport | null>('stopped_feed_import'),
  suggestServices: (person_id: Id) => read<Suggestion[]>('suggest_services', { person_id, limit: 8 }),
  referOnward: (person_id: Id, service_id: Id, status = 'suggested') =>
    write<OnwardReferral>('refer_onward', { person_id, service_id, status }),
  setCapacity: (service_id: Id, capacity: CapacityInput) => write<Service>('set_capacity', { service_id, capacity }),
  waitingList: (service_id: Id) => read<Waiting[]>('waiting_list', { service_id }),
  joinWaitingList: (waiting: WaitingInput) => write<WaitingListEntry>('join_waiting_list', { waiting }),
  endWait: (entry_id: Id, reason: string) => write<WaitingListEntry>('end_wait', { entry_id, reason }),
  recordGroupAttendance: (onward_id: Id, attended_on: string) =>
    write<GroupAttendance>('record_group_attendance', { onward_id, attended_on }),
  recordLeadFeedback: (onward_id: Id, feedback: LeadFeedbackInput) =>
    write<LeadFeedback>('record_lead_feedback', { onward_id, feedback }),
  updateOnwardReferral: (onward_id: Id, change: { status?: string; barriers?: string[]; feedback?: string }) =>
    write<OnwardReferral>('update_onward_referral', { onward_id, ...change }),
  report: (request: ReportRequest) => read<ReportAnswer>('report', request),
  /** Saves the evaluation pack as a PDF (downloaded by the window); answers its file name. */
  saveReportPdf: async (request: ReportRequest): Promise<string> => {
    const out = await read<PrintedPdf>('report_pdf', request);
    const bytes = Uint8Array.from(atob(out.pdf_base64), (c) => c.charCodeAt(0));
    downloadBlob(out.file_name, new Blob([bytes], { type: 'application/pdf' }));
    return out.file_name;
  },
  referrers: () => read<Referrer[]>('referrers'),
  addReferrer: (referrer: ReferrerInput) => write<Referrer>('add_referrer', { referrer }),
  checkReferrer: (referrer: ReferrerInput) => read<Check>('check_referrer', { referrer }),
  /** The message to the referrer as it would be sent now: its words, letter pages and record. */
  referrerMessage: (kind: string, referral_id: Id, options: MessageOptions) =>
    read<MessageReview>('referrer_message', { kind, referral_id, options }),
  markMessageSent: (kind: string, referral_id: Id, options: MessageOptions, sent: SentInput) =>
    write<ReferrerMessage>('mark_message_sent', { kind, referral_id, options, sent }),
  /** Saves the letter as a PDF (downloaded by the window); answers its file name. */
  saveMessageLetter: async (kind: string, referral_id: Id, options: MessageOptions): Promise<string> => {
    const out = await read<PrintedPdf>('print_referrer_message', { kind, referral_id, options });
    const bytes = Uint8Array.from(atob(out.pdf_base64), (c) => c.charCodeAt(0));
    downloadBlob(out.file_name, new Blob([bytes], { type: 'application/pdf' }));
    return out.file_name;
  },
  pendingCount: () => read<number>('pending_count'),
  syncStatus: () => read<SyncStatus>('sync_status'),
  syncReview: () => read<ReviewItem[]>('sync_review'),
  settleReview: (id: string, settlement: ReviewSettlement) => write<null>('settle_review', { id, settlement }),
  syncNow: () => write<SyncOutcome>('sync_now'),
  joinServer: (server: string, code: string, passphrase: string, passphrase_again: string) =>
    read<LockState>('create_profile', { join: { server, code }, passphrase, passphrase_again }),
  exportPerson: (person_id: Id) => read<unknown>('export_person', { person_id }),
  greenBookPreview: (person_id: Id, options: GreenBookOptions) =>
    read<GreenBookPreview>('green_book_preview', { person_id, options }),
  recordPrinted: (person_id: Id) => write<null>('record_printed', { person_id }),
  /** Saves the Green Book as a PDF: the desktop app writes it into Downloads itself; a
   * browser gets the bytes and downloads them. Answers where it went. */
  /** The introduction for the group lead of an onward referral (text to copy). */
  onwardIntroduction: (onward_id: Id) => read<Introduction>('onward_introduction', { onward_id }),
  /** Saves the introduction as a one-page PDF (downloaded by the window); answers its file name. */
  saveIntroduction: async (onward_id: Id): Promise<string> => {
    const out = await read<PrintedPdf>('print_onward_introduction', { onward_id });
    const bytes = Uint8Array.from(atob(out.pdf_base64), (c) => c.charCodeAt(0));
    downloadBlob(out.file_name, new Blob([bytes], { type: 'application/pdf' }));
    return out.file_name;
  },
  /** Saves a group's directory page as a Green Book insert, as saveGreenBook saves the book. */
  saveServicePage: async (service_id: Id): Promise<{ file_name: string; path: string | null }> => {
    if (inDesktopApp) return write<SavedGreenBook>('save_service_page', { service_id });
    const out = await read<PrintedPdf>('print_service_page', { service_id });
    const bytes = Uint8Array.from(atob(out.pdf_base64), (c) => c.charCodeAt(0));
    downloadBlob(out.file_name, new Blob([bytes], { type: 'application/pdf' }));
    return { file_name: out.file_name, path: null };
  },
  saveGreenBook: async (
    person_id: Id,
    options: GreenBookOptions,
  ): Promise<{ file_name: string; path: string | null }> => {
    if (inDesktopApp) return write<SavedGreenBook>('save_green_book', { person_id, options });
    const out = await write<PrintedPdf>('print_green_book', { person_id, options });
    const bytes = Uint8Array.from(atob(out.pdf_base64), (c) => c.charCodeAt(0));
    const link = document.createElement('a');
    link.href = URL.createObjectURL(new Blob([bytes], { type: 'application/pdf' }));
    link.download = out.file_name;
    document.body.append(link);
    link.click();
    link.remove();
    window.setTimeout(() => URL.revokeObjectURL(link.href), 10000);
    return { file_name: out.file_name, path: null };
  },
};

/** Hands a file to the window to save (a browser's downloads). */
export function downloadBlob(fileName: string, blob: Blob): void {
  const link = document.createElement('a');
  link.href = URL.createObjectURL(blob);
  link.download = fileName;
  document.body.append(link);
  link.click();
  link.remove();
  window.setTimeout(() => URL.revokeObjectURL(link.href), 10000);
}

/** Tells the desktop shell the first screen is on show (used by the start-up benchmark). */
export function markReady(): void {
  if (internals) void internals.invoke('ready').catch(() => undefined);
}
