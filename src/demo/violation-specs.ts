import type { OtherKind } from './city-data.ts';
import type { Rng } from './prng.ts';
import type { PenaltyMeasure, ViolationType } from '../evidence/vocabulary.ts';

/**
 * How an ordinary (non-severe) penalty decision of each type reads: the article it cites, the fine
 * band the article allows (skewed to its low end, as discretion benchmarks are), the measures that go
 * with it and a short description. Severe cases are written out in demo-city.ts.
 */

export const LAW = {
  air: '《中华人民共和国大气污染防治法》',
  water: '《中华人民共和国水污染防治法》',
  epl: '《中华人民共和国环境保护法》',
  solid: '《中华人民共和国固体废物污染环境防治法》',
  noise: '《中华人民共和国噪声污染防治法》',
  eia: '《中华人民共和国环境影响评价法》',
  permit: '《排污许可管理条例》',
  construction: '《建设项目环境保护管理条例》',
  reserve: '《中华人民共和国自然保护区条例》',
  livestock: '《畜禽规模养殖污染防治条例》',
} as const;

export interface ViolationContent {
  legalBasis: string;
  fine: number;
  measures: Set<PenaltyMeasure>;
  description: string;
}

/** A fine in [min, max] skewed towards min, rounded to `step`. */
export function fineIn(rng: Rng, min: number, max: number, skew = 3, step = 1000): number {
  const raw = min + (max - min) * Math.pow(rng.next(), skew);
  return Math.max(min, Math.round(raw / step) * step);
}

const OTHER: Record<OtherKind, { basis: string; min: number; max: number; texts: readonly string[] }> = {
  dust: {
    basis: `${LAW.air}第一百一十七条第（一）项`,
    min: 10_000,
    max: 100_000,
    texts: ['矿石、煤炭等易产生扬尘的物料露天堆放，未采取密闭或者有效覆盖措施', '物料装卸、转运环节未采取有效抑尘措施，扬尘污染明显'],
  },
  generic: {
    basis: `${LAW.air}第一百一十七条第（一）项`,
    min: 10_000,
    max: 60_000,
    texts: ['厂区物料露天堆放，未采取有效覆盖措施', '锅炉燃料堆场未密闭、未覆盖'],
  },
  voc: {
    basis: `${LAW.air}第一百零八条第（一）项`,
    min: 20_000,
    max: 200_000,
    texts: ['喷漆、涂胶工序未在密闭空间内进行，挥发性有机物废气未经收集处理直接排放', '挥发性有机物治理设施未正常运行'],
  },
  fumes: {
    basis: `${LAW.air}第一百一十八条第一款`,
    min: 5_000,
    max: 50_000,
    texts: ['未安装油烟净化设施，油烟直接排放', '油烟净化设施未正常使用，油烟超标排放'],
  },
  vapour: {
    basis: `${LAW.air}第一百零八条第（五）项`,
    min: 20_000,
    max: 200_000,
    texts: ['未按规定正常使用油气回收装置', '油气回收装置气液比检测不合格'],
  },
  'site-dust': {
    basis: `${LAW.air}第一百一十五条第一款`,
    min: 10_000,
    max: 100_000,
    texts: ['施工工地未设置硬质围挡，裸露地面未覆盖', '施工现场渣土车辆未冲洗即驶出工地'],
  },
  manure: {
    basis: `${LAW.livestock}第四十一条`,
    min: 5_000,
    max: 50_000,
    texts: ['畜禽粪污未经无害化处理直接排放', '粪污贮存设施防渗不到位，粪水外溢'],
  },
};

export interface OrdinaryContext {
  type: ViolationType;
  other: OtherKind;
  /** Whether the exceedance or the monitoring fault concerns water (else air). */
  water: boolean;
  /** Filled in for EXCEEDING_STANDARDS and NOISE from the supervisory record. */
  exceedance?: string;
  group: string;
}

function measuresOf(rng: Rng, fine: number, extra: readonly (readonly [PenaltyMeasure, number])[] = []): Set<PenaltyMeasure> {
  const m = new Set<PenaltyMeasure>();
  m.add('CORRECTION_ORDER');
  if (fine > 0) m.add('FINE');
  else m.add('WARNING');
  for (const [measure, p] of extra) if (rng.chance(p)) m.add(measure);
  return m;
}

/** An ordinary penalty decision; severe types are refused here. */
export function ordinaryViolation(rng: Rng, ctx: OrdinaryContext): ViolationContent {
  switch (ctx.type) {
    case 'EXCEEDING_STANDARDS': {
      const fine = fineIn(rng, 100_000, 1_000_000, 4);
      return {
        legalBasis: ctx.water ? `${LAW.water}第八十三条第（二）项` : `${LAW.air}第九十九条第（二）项`,
        fine,
        measures: measuresOf(rng, fine, [['PRODUCTION_RESTRICTION', 0.25], ['PRODUCTION_SUSPENSION', 0.04]]),
        description: ctx.exceedance ?? (ctx.water ? '水污染物超过排放标准排放' : '大气污染物超过排放标准排放'),
      };
    }
    case 'NO_PERMIT': {
      const fine = fineIn(rng, 200_000, 1_000_000, 4);
      return {
        legalBasis: `${LAW.permit}第三十三条第（一）项`,
        fine,
        measures: measuresOf(rng, fine, [['PRODUCTION_SUSPENSION', 0.4]]),
        description: '未取得排污许可证排放污染物',
      };
    }
    case 'PERMIT_CONDITIONS': {
      const fine = fineIn(rng, 20_000, 200_000, 3);
      return {
        legalBasis: `${LAW.permit}第三十六条`,
        fine,
        measures: measuresOf(rng, fine),
        description: rng.pick([
          '未按照排污许可证规定制定自行监测方案并开展自行监测',
          '污染物排放口位置、数量不符合排污许可证规定',
          '未按照排污许可证规定建立环境管理台账记录制度',
          '未按照排污许可证规定保存原始监测记录',
        ]),
      };
    }
    case 'MONITORING_EQUIPMENT_NOT_OPERATED': {
      const fine = fineIn(rng, 20_000, 200_000, 3);
      return {
        legalBasis: ctx.water ? `${LAW.water}第八十二条第（二）项` : `${LAW.air}第一百条第（三）项`,
        fine,
        measures: measuresOf(rng, fine),
        description: rng.pick([
          '自动监测设备未保证正常运行，数据有效传输率不达标',
          '自动监测设备未按照规定与生态环境主管部门的监控设备联网',
          '自动监测设备采样探头堵塞，未及时维护',
        ]),
      };
    }
    case 'HAZARDOUS_WASTE_MANAGEMENT': {
      const reduced = rng.chance(0.35);
      const fine = reduced ? fineIn(rng, 50_000, 90_000, 1, 5000) : fineIn(rng, 100_000, 300_000, 3);
      const medical = ctx.group === 'hospital';
      return {
        legalBasis: medical ? `${LAW.solid}第一百一十二条第一款第（一）项` : `${LAW.solid}第一百一十二条第一款${rng.pick(['第（一）项', '第（二）项', '第（十二）项'])}`,
        fine,
        measures: measuresOf(rng, fine),
        description: medical
          ? '医疗废物暂存间未设置危险废物识别标志，未按规定分类收集'
          : rng.pick(['危险废物贮存场所未设置识别标志', '未按照规定制定危险废物管理计划', '废矿物油未按照规定分类贮存，贮存场所防渗不到位']),
      };
    }
    case 'SOLID_WASTE': {
      const fine = fineIn(rng, 50_000, 200_000, 3);
      return {
        legalBasis: `${LAW.solid}第一百零二条第一款${rng.pick(['第（一）项', '第（四）项', '第（七）项'])}`,
        fine,
        measures: measuresOf(rng, fine),
        description: rng.pick(['未按照规定建立工业固体废物管理台账', '工业固体废物贮存场所未采取防扬散、防流失、防渗漏措施', '擅自堆放废石、废渣']),
      };
    }
    case 'NOISE': {
      const warning = rng.chance(0.15);
      const fine = warning ? 0 : fineIn(rng, 20_000, 200_000, 5);
      return {
        legalBasis: `${LAW.noise}第七十五条`,
        fine,
        measures: measuresOf(rng, fine, [['PRODUCTION_RESTRICTION', 0.08]]),
        description: ctx.exceedance ?? '工业噪声超过噪声排放标准排放',
      };
    }
    case 'DISCLOSURE_FAILURE': {
      const warning = rng.chance(0.3);
      const fine = warning ? 0 : fineIn(rng, 10_000, 30_000, 1, 5000);
      return {
        legalBasis: `${LAW.epl}第六十二条`,
        fine,
        measures: measuresOf(rng, fine),
        description: '重点排污单位未按规定公开（披露）企业环境信息',
      };
    }
    case 'ECOLOGICAL_RED_LINE': {
      const fine = fineIn(rng, 3_000, 10_000, 1, 500);
      return {
        legalBasis: `${LAW.reserve}第三十五条`,
        fine,
        measures: measuresOf(rng, fine),
        description: rng.pick(['在自然保护区实验区内擅自采挖砂石', '在生态保护红线范围内擅自毁林种植', '在自然保护区内擅自修建设施']),
      };
    }
    case 'ENVIRONMENTAL_INCIDENT': {
      const loss = fineIn(rng, 60_000, 600_000, 2, 10_000);
      const fine = Math.round(loss * 0.2);
      return {
        legalBasis: `${LAW.water}第九十四条第一款`,
        fine,
        measures: measuresOf(rng, fine, [['PRODUCTION_SUSPENSION', 0.3]]),
        description: `${rng.pick(['尾矿输送管线破裂，选矿废水外溢进入沟河', '柴油储罐泄漏，部分油污进入河道'])}，构成一般突发环境事件，直接经济损失${loss}元`,
      };
    }
    case 'OTHER': {
      const spec = OTHER[ctx.other];
      const warning = rng.chance(0.12);
      const fine = warning ? 0 : fineIn(rng, spec.min, spec.max, 3, spec.max <= 50_000 ? 500 : 1000);
      return { legalBasis: spec.basis, fine, measures: measuresOf(rng, fine), description: rng.pick(spec.texts) };
    }
    default:
      throw new Error(`${ctx.type} is written only for the severe cases`);
  }
}
