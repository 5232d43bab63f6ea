/**
 * How a backend becomes a Store, written once for every backend: a backend's concern modules
 * export the concern's methods under their interface names, as plain functions taking the
 * backend's handle first (sync or async); the backend spreads the modules into one object,
 * which the compiler checks against every concern (`Impl<Concerns, Handle>`), and
 * `composeStore` binds the Store's methods — and only those — to the handle. So no backend
 * has a pass-through class or a list of its methods.
 */
import type { Store, StoreLifecycle } from './types.js';

/** A concern's methods as a backend module writes them: the handle first, sync or async. */
export type Impl<I, H> = {
  [K in keyof I]: I[K] extends (...args: infer A) => Promise<infer R> ? (handle: H, ...args: A) => R | Promise<R> : never;
};

/** The concern interfaces of a Store, minus the lifecycle. */
export type Concerns = Omit<Store, keyof StoreLifecycle>;

/**
 * Every method of every concern, by name: what composeStore binds (a module's other exports
 * are its own helpers) and what counting.ts counts. `satisfies` makes the compiler flag a
 * concern method missing here.
 */
export const CONCERN_METHODS = {
  // sessions and devices
  openSession: true,
  extendLock: true,
  releaseLock: true,
  commitSession: true,
  getDevice: true,
  readParameters: true,
  listDevices: true,
  deleteDevice: true,
  setTags: true,
  setSearchablePaths: true,
  searchablePaths: true,
  // credentials
  setCpeCredential: true,
  getCpeCredential: true,
  getCpeCredentialByUsername: true,
  getDeviceCredentials: true,
  importCredentials: true,
  setBootstrapWindow: true,
  requestCredentialRotation: true,
  listCredentialDevices: true,
  resealCredentials: true,
  // tasks
  createTasks: true,
  getTask: true,
  listTasks: true,
  retryTask: true,
  deleteTask: true,
  deleteTasks: true,
  expireTasks: true,
  recordConnectionRequest: true,
  // history
  listSessions: true,
  listCpeMessages: true,
  // tokens
  createApiToken: true,
  findApiToken: true,
  listApiTokens: true,
  deleteApiToken: true,
  touchApiToken: true,
  // webhooks
  createWebhook: true,
  listWebhooks: true,
  deleteWebhook: true,
  enqueueWebhookDeliveries: true,
  claimWebhookDeliveries: true,
  finishWebhookDelivery: true,
  listWebhookDeliveries: true,
  pruneWebhookDeliveries: true,
  // users
  createUser: true,
  getUser: true,
  findUserByName: true,
  listUsers: true,
  updateUser: true,
  recordSignInFailure: true,
  recordSignInSuccess: true,
  createUserSession: true,
  findUserSession: true,
  deleteUserSession: true,
  deleteUserSessions: true,
  // audit
  appendAudit: true,
  listAudit: true,
  // quirks
  listQuirkProfiles: true,
  putQuirkProfile: true,
  deleteQuirkProfile: true,
  // virtual parameters
  createVirtualParameter: true,
  updateVirtualParameter: true,
  getVirtualParameter: true,
  listVirtualParameters: true,
  deleteVirtualParameter: true,
  // policies
  createPolicy: true,
  updatePolicy: true,
  getPolicy: true,
  listPolicies: true,
  deletePolicy: true,
  listPolicyRevisions: true,
  policyCompliance: true,
  deviceCompliance: true,
  policyMemos: true,
  // subscribers
  createSubscriber: true,
  getSubscriber: true,
  updateSubscriber: true,
  listSubscribers: true,
  deleteSubscriber: true,
  addBinding: true,
  removeBinding: true,
  listBindings: true,
  bindingOfDevice: true,
  recordServiceStatus: true,
  appendSubscriberHistory: true,
  listSubscriberHistory: true,
  putServiceTemplate: true,
  listServiceTemplates: true,
  deleteServiceTemplate: true,
  countTemplateUses: true,
  createActivationCode: true,
  redeemActivationCode: true,
  createSubscriberToken: true,
  findSubscriberToken: true,
  // series (KPI time series, sampling profiles)
  appendSamples: true,
  listSamples: true,
  listSampleHours: true,
  listSeriesPaths: true,
  aggregateSamples: true,
  maintainSeries: true,
  recentSamples: true,
  createSamplingProfile: true,
  updateSamplingProfile: true,
  listSamplingProfiles: true,
  deleteSamplingProfile: true,
  // alarms
  createAlarmRule: true,
  updateAlarmRule: true,
  listAlarmRules: true,
  deleteAlarmRule: true,
  raiseAlarm: true,
  clearAlarm: true,
  acknowledgeAlarm: true,
  getAlarm: true,
  listAlarms: true,
  activeAlarmsOf: true,
  alarmCounts: true,
  alarmHistory: true,
  countAlarmEvents: true,
  // files
  createFile: true,
  getFile: true,
  listFiles: true,
  deleteFile: true,
  putFileChunks: true,
  readFileChunks: true,
  deleteFileChunks: true,
  countPendingFileTasks: true,
  appendTransferLog: true,
  listTransferLog: true,
  pruneTransferLog: true,
  // campaigns
  createCampaign: true,
  getCampaign: true,
  listCampaigns: true,
  updateCampaign: true,
  claimCampaigns: true,
  releaseCampaign: true,
  campaignSnapshot: true,
  listCampaignDevices: true,
  campaignProgress: true,
  campaignCandidates: true,
  transitionCampaignDevices: true,
  recentCampaignOutcomes: true,
  campaignsUsingFile: true,
  deleteCampaign: true,
  // processes (stale session locks)
  registerProcess: true,
  listProcesses: true,
  heartbeatProcess: true,
  retireProcesses: true,
} as const satisfies Record<keyof Concerns, true>;

/**
 * One object with every concern's methods bound to `handle`, each async (a synchronous
 * backend's throw becomes a rejection, as callers expect of a Store).
 */
export function composeStore<H, X extends object = object>(handle: H, lifecycle: StoreLifecycle, impl: Impl<Concerns, H>, extra?: X): Store & X {
  const store: Record<string, unknown> = { ...extra };
  for (const name of Object.keys(CONCERN_METHODS) as (keyof Concerns)[]) {
    const fn = impl[name] as (h: H, ...a: unknown[]) => unknown;
    store[name] = async (...args: unknown[]) => fn(handle, ...args);
  }
  store.migrate = lifecycle.migrate;
  store.close = lifecycle.close;
  return store as Store & X;
}
