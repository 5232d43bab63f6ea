/** Object instance RPCs: AddObject (TR-069 A.3.2.6) and DeleteObject (A.3.2.7). */
import { int, n, raw, status, str, t, type CodecTable } from './shared.js';

export const objectCodecs: CodecTable<'AddObject' | 'AddObjectResponse' | 'DeleteObject' | 'DeleteObjectResponse'> = {
  AddObject: {
    // ObjectName is a path ending in "." (trimmed); ParameterKey is echoed verbatim.
    parse: (el) => ({ method: 'AddObject', objectName: str(el, 'ObjectName'), parameterKey: raw(el, 'ParameterKey') }),
    build: (m) => t('ObjectName', m.objectName) + t('ParameterKey', m.parameterKey),
  },
  AddObjectResponse: {
    parse: (el) => ({ method: 'AddObjectResponse', instanceNumber: int(el, 'InstanceNumber'), status: status(el) }),
    build: (m) => n('InstanceNumber', m.instanceNumber) + n('Status', m.status),
  },
  DeleteObject: {
    parse: (el) => ({ method: 'DeleteObject', objectName: str(el, 'ObjectName'), parameterKey: raw(el, 'ParameterKey') }),
    build: (m) => t('ObjectName', m.objectName) + t('ParameterKey', m.parameterKey),
  },
  DeleteObjectResponse: {
    parse: (el) => ({ method: 'DeleteObjectResponse', status: status(el) }),
    build: (m) => n('Status', m.status),
  },
};
