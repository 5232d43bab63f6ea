/** Device control RPCs: Reboot (TR-069 A.3.2.9), FactoryReset (A.4.1.6), ScheduleInform (A.4.1.2). */
import { emptyCodec, int, n, raw, t, type CodecTable } from './shared.js';

export const controlCodecs: CodecTable<
  'Reboot' | 'RebootResponse' | 'FactoryReset' | 'FactoryResetResponse' | 'ScheduleInform' | 'ScheduleInformResponse'
> = {
  Reboot: {
    // The CommandKey comes back verbatim in the "M Reboot" event, so it is not trimmed.
    parse: (el) => ({ method: 'Reboot', commandKey: raw(el, 'CommandKey') }),
    build: (m) => t('CommandKey', m.commandKey),
  },
  RebootResponse: emptyCodec('RebootResponse'),
  FactoryReset: emptyCodec('FactoryReset'),
  FactoryResetResponse: emptyCodec('FactoryResetResponse'),
  ScheduleInform: {
    parse: (el) => ({ method: 'ScheduleInform', delaySeconds: int(el, 'DelaySeconds'), commandKey: raw(el, 'CommandKey') }),
    build: (m) => n('DelaySeconds', m.delaySeconds) + t('CommandKey', m.commandKey),
  },
  ScheduleInformResponse: emptyCodec('ScheduleInformResponse'),
};
