/** Option vouchers: SetVouchers (TR-069 A.4.1.3) and GetOptions (A.4.1.4). */
import type { OptionStruct } from '../types.js';
import type { XmlElement } from '../xml.js';
import { arr, bool, emptyCodec, esc, int, items, n, str, t, type CodecTable } from './shared.js';

function readOption(o: XmlElement): OptionStruct {
  return {
    optionName: str(o, 'OptionName'),
    voucherSN: int(o, 'VoucherSN'),
    state: int(o, 'State'),
    mode: str(o, 'Mode'),
    startDate: str(o, 'StartDate'),
    expirationDate: str(o, 'ExpirationDate'),
    isTransferable: bool(o, 'IsTransferable'),
  };
}

function buildOption(o: OptionStruct): string {
  return (
    '<OptionStruct>' +
    t('OptionName', o.optionName) +
    n('VoucherSN', o.voucherSN) +
    n('State', o.state) +
    t('Mode', o.mode) +
    t('StartDate', o.startDate) +
    // ExpirationDate is optional (minOccurs 0): absent means the option does not expire.
    (o.expirationDate === '' ? '' : t('ExpirationDate', o.expirationDate)) +
    // IsTransferable is an xs:int 0/1 in the schema, not an xs:boolean: always digits.
    n('IsTransferable', o.isTransferable ? 1 : 0) +
    '</OptionStruct>'
  );
}

export const voucherCodecs: CodecTable<'SetVouchers' | 'SetVouchersResponse' | 'GetOptions' | 'GetOptionsResponse'> = {
  SetVouchers: {
    // Vouchers are base64 (often folded across lines); kept exactly as sent.
    parse: (el) => ({ method: 'SetVouchers', voucherList: items(el, 'VoucherList').map((v) => v.text) }),
    build(m, ctx) {
      let s = '';
      for (const v of m.voucherList) s += '<base64>' + esc(v) + '</base64>';
      return arr(ctx, 'VoucherList', ctx.enc + ':base64', m.voucherList.length, s);
    },
  },
  SetVouchersResponse: emptyCodec('SetVouchersResponse'),
  GetOptions: {
    parse: (el) => ({ method: 'GetOptions', optionName: str(el, 'OptionName') }),
    build: (m) => t('OptionName', m.optionName),
  },
  GetOptionsResponse: {
    parse: (el) => ({ method: 'GetOptionsResponse', optionList: items(el, 'OptionList').map(readOption) }),
    build: (m, ctx) => arr(ctx, 'OptionList', ctx.cwmp + ':OptionStruct', m.optionList.length, m.optionList.map(buildOption).join('')),
  },
};
