/**
 * Which device a client certificate names (mTLS on the CWMP endpoint), pure.
 *
 * The binding: the certificate's subject Common Name (CN) is the device's identity as the
 * Inform's DeviceId gives it, either `OUI-ProductClass-SerialNumber` or `OUI-SerialNumber`
 * (the two forms CPE vendors put in device certificates). The OUI is compared without regard
 * to case (it is hex); ProductClass and SerialNumber exactly. Any other subject attribute
 * (serialNumber, O, OU) is ignored: a certificate binds one device, by its CN. A subject with
 * several CNs binds nothing (ambiguous).
 */
export interface DeviceIdentity {
  oui: string;
  productClass: string;
  serialNumber: string;
}

/** The subject as node:tls gives it (getPeerCertificate().subject): an attribute may repeat. */
export type CertSubject = Partial<Record<string, string | string[]>> | undefined | null;

export function subjectCn(subject: CertSubject): string | null {
  const cn = subject?.CN;
  if (typeof cn === 'string') return cn;
  return null;
}

export function certificateNamesDevice(subject: CertSubject, device: DeviceIdentity): boolean {
  const cn = subjectCn(subject);
  if (cn === null || device.oui === '' || device.serialNumber === '') return false;
  const dash = cn.indexOf('-');
  if (dash <= 0) return false;
  if (cn.slice(0, dash).toUpperCase() !== device.oui.toUpperCase()) return false;
  const rest = cn.slice(dash + 1);
  return rest === device.serialNumber || (device.productClass !== '' && rest === `${device.productClass}-${device.serialNumber}`);
}
