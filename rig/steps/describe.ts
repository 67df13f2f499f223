// A step in words, for timelines and failure reasons: "broker pause 20000 ms", "waitSerial /RIG: connected/".
import { describeReconfiguration } from '../broker/faults.ts';
import { stepAction, type Step } from '../scenario/steps.ts';

export function describeStep(s: Step): string {
  const within = s.withinMs !== undefined ? ` within ${s.withinMs} ms` : '';
  switch (stepAction(s)) {
    case 'waitSerial':
      return `waitSerial /${s.waitSerial}/${within}`;
    case 'writeSerial':
      return `writeSerial "${s.writeSerial}"`;
    case 'reset':
      return 'reset the board';
    case 'wait':
      return `wait ${s.wait} ms`;
    case 'broker':
      return `broker ${s.broker}${s.forMs !== undefined ? ` for ${s.forMs} ms` : ''}`;
    case 'rotate':
      return `rotate server certificate to "${s.rotate!.cert}"${s.rotate!.ca ? ` (cafile "${s.rotate!.ca}")` : ''}`;
    case 'revoke':
      return `revoke client certificate "${s.revoke!}"`;
    case 'reconfigure':
      return `reconfigure ${describeReconfiguration(s.reconfigure!)}`;
    case 'disconnect':
      return `disconnect ${s.disconnect === true ? "the board's client" : s.disconnect} (session takeover)`;
    case 'publish':
      return `publish ${s.publish!.topic} "${s.publish!.payload}"${s.publish!.qos ? ` qos ${s.publish!.qos}` : ''}`;
    case 'expectMessage':
      return `expectMessage ${s.expectMessage!.topic}${s.expectMessage!.payload ? ` /${s.expectMessage!.payload}/` : ''}${within}`;
    case 'expectReconnect':
      return `expectReconnect${within}`;
    case 'expectBrokerLog':
      return `expectBrokerLog /${s.expectBrokerLog}/${within}`;
    case 'clock':
      if (s.clock!.calendar !== undefined) return `clock calendar ${s.clock!.calendar}`;
      if (s.clock!.millis !== undefined) return `clock millis ${s.clock!.millis}`;
      return `clock advance ${s.clock!.advanceMs} ms`;
  }
}
