import type { EmissionUnit, ViolationType } from '../evidence/vocabulary.ts';

/**
 * The facts the demo city is modelled on: 临江市 (Linjiang, Jilin, division code 220681) has 6 streets,
 * 6 towns and 1 township; its economy is mining (iron at 大栗子, copper at 六道沟, diatomite),
 * forest products, ginseng and traditional medicine, mountain foods and mineral water, small hydropower
 * and heating, building materials, and the services of a county-level city. Enterprise names, people and
 * numbers are invented; the shapes (name patterns, GB/T 4754-2017 classes, emission limits of the
 * national standards, articles of the laws) follow real practice.
 */

export const DIVISION_CODE = '220681';
export const CITY_NAME = '临江市';

/** The 13 township-level divisions, with a relative weight for where businesses register. */
export const TOWNSHIPS = [
  { name: '建国街道', kind: 'street', weight: 22 },
  { name: '新市街道', kind: 'street', weight: 18 },
  { name: '兴隆街道', kind: 'street', weight: 12 },
  { name: '大湖街道', kind: 'street', weight: 9 },
  { name: '森工街道', kind: 'street', weight: 8 },
  { name: '大栗子街道', kind: 'street', weight: 6 },
  { name: '桦树镇', kind: 'town', weight: 4 },
  { name: '六道沟镇', kind: 'town', weight: 5 },
  { name: '苇沙河镇', kind: 'town', weight: 4 },
  { name: '花山镇', kind: 'town', weight: 5 },
  { name: '闹枝镇', kind: 'town', weight: 4 },
  { name: '四道沟镇', kind: 'town', weight: 4 },
  { name: '蚂蚁河乡', kind: 'township', weight: 3 },
] as const;
export type TownshipName = (typeof TOWNSHIPS)[number]['name'];
export const TOWNSHIP_NAMES: readonly string[] = TOWNSHIPS.map((t) => t.name);

const URBAN: readonly TownshipName[] = ['建国街道', '新市街道', '兴隆街道', '大湖街道', '森工街道', '大栗子街道'];

export type IndustryGroup =
  | 'mining'
  | 'quarry'
  | 'wood'
  | 'medicine'
  | 'food'
  | 'beverage'
  | 'power'
  | 'hydro'
  | 'building'
  | 'sewage'
  | 'hospital'
  | 'auto'
  | 'fuel'
  | 'catering'
  | 'construction'
  | 'trade'
  | 'agriculture';

/** How OTHER violations of a group read: the article and the fine band differ. */
export type OtherKind = 'dust' | 'voc' | 'fumes' | 'vapour' | 'site-dust' | 'manure' | 'generic';

export type EmissionProfileName =
  | 'coalBoiler'
  | 'powerPlant'
  | 'kiln'
  | 'cementGrinding'
  | 'ironOre'
  | 'copperOre'
  | 'goldOre'
  | 'woodPanel'
  | 'pharma'
  | 'foodWater'
  | 'slaughter'
  | 'sewage'
  | 'hospital';

export interface IndustryProfile {
  /** GB/T 4754-2017 class with its section letter, e.g. B0810. */
  code: string;
  label: string;
  group: IndustryGroup;
  /** Relative frequency in the city. */
  weight: number;
  /** Entity type (positions 1-2 of the code) and weight: 91 enterprise, 92 individual business, 93 cooperative. */
  entity: readonly (readonly ['91' | '92' | '93', number])[];
  /** Townships it clusters in; otherwise spread by TOWNSHIPS weights. */
  townships: readonly TownshipName[] | null;
  /** Share listed as key pollutant discharge units (重点排污单位). */
  keyShare: number;
  /** Share of the others holding a pollutant discharge permit under simplified management. */
  permitShare: number;
  /** Relative propensity to offend. */
  risk: number;
  emission: EmissionProfileName | null;
  /** Key units of this class report monthly permit execution reports too. */
  monthlyReports?: boolean;
  /** Name endings, after the trade name. */
  names: readonly string[];
  violations: readonly (readonly [ViolationType, number])[];
  other: OtherKind;
}

const E91 = [['91', 1]] as const;

export const INDUSTRIES: readonly IndustryProfile[] = [
  // Mining (B): iron at 大栗子, copper at 六道沟, a little gold; sand and gravel; diatomite.
  { code: 'B0810', label: '铁矿采选', group: 'mining', weight: 22, entity: E91, townships: ['大栗子街道', '六道沟镇', '四道沟镇', '闹枝镇'], keyShare: 0.65, permitShare: 0.8, risk: 3, emission: 'ironOre', names: ['矿业有限公司', '矿业有限责任公司', '铁矿有限公司', '选矿厂'], violations: [['EXCEEDING_STANDARDS', 4], ['SOLID_WASTE', 3], ['PERMIT_CONDITIONS', 2], ['NO_PERMIT', 1], ['HAZARDOUS_WASTE_MANAGEMENT', 1], ['NOISE', 1], ['ECOLOGICAL_RED_LINE', 0.4], ['ENVIRONMENTAL_INCIDENT', 0.4], ['OTHER', 1]], other: 'dust' },
  { code: 'B0911', label: '铜矿采选', group: 'mining', weight: 8, entity: E91, townships: ['六道沟镇', '四道沟镇', '花山镇'], keyShare: 0.75, permitShare: 0.9, risk: 3, emission: 'copperOre', names: ['矿业有限公司', '铜业有限公司', '矿业开发有限公司'], violations: [['EXCEEDING_STANDARDS', 4], ['SOLID_WASTE', 3], ['PERMIT_CONDITIONS', 2], ['HAZARDOUS_WASTE_MANAGEMENT', 1], ['ENVIRONMENTAL_INCIDENT', 0.5], ['OTHER', 1]], other: 'dust' },
  { code: 'B0921', label: '金矿采选', group: 'mining', weight: 4, entity: E91, townships: ['闹枝镇', '花山镇', '苇沙河镇'], keyShare: 0.75, permitShare: 0.9, risk: 2.5, emission: 'goldOre', names: ['黄金矿业有限公司', '金矿'], violations: [['EXCEEDING_STANDARDS', 3], ['HAZARDOUS_WASTE_MANAGEMENT', 3], ['SOLID_WASTE', 2], ['PERMIT_CONDITIONS', 1], ['OTHER', 1]], other: 'dust' },
  { code: 'B1019', label: '粘土及其他土砂石开采', group: 'quarry', weight: 40, entity: [['91', 5], ['92', 1]], townships: ['苇沙河镇', '四道沟镇', '六道沟镇', '花山镇', '桦树镇', '闹枝镇'], keyShare: 0, permitShare: 0.25, risk: 1.8, emission: null, names: ['砂石有限公司', '采石场', '砂场', '石料有限公司'], violations: [['OTHER', 4], ['ECOLOGICAL_RED_LINE', 1], ['NOISE', 1], ['SOLID_WASTE', 1], ['NO_PERMIT', 1]], other: 'dust' },
  { code: 'B1099', label: '其他未列明非金属矿采选', group: 'mining', weight: 16, entity: E91, townships: ['六道沟镇', '四道沟镇', '大栗子街道', '花山镇'], keyShare: 0.25, permitShare: 0.7, risk: 2, emission: 'kiln', names: ['硅藻土有限公司', '硅藻土矿业有限公司', '非金属矿业有限公司'], violations: [['EXCEEDING_STANDARDS', 3], ['SOLID_WASTE', 2], ['PERMIT_CONDITIONS', 2], ['NOISE', 1], ['OTHER', 2]], other: 'dust' },
  // Forest products (C20, C21).
  { code: 'C2011', label: '锯材加工', group: 'wood', weight: 70, entity: [['91', 3], ['92', 2]], townships: ['森工街道', '大湖街道', '闹枝镇', '苇沙河镇', '桦树镇', '蚂蚁河乡'], keyShare: 0, permitShare: 0.3, risk: 1, emission: null, names: ['木业有限公司', '木材加工厂', '林产品有限公司'], violations: [['NOISE', 3], ['OTHER', 2], ['SOLID_WASTE', 1], ['NO_PERMIT', 1]], other: 'dust' },
  { code: 'C2021', label: '胶合板制造', group: 'wood', weight: 14, entity: E91, townships: ['森工街道', '大湖街道', '闹枝镇', '桦树镇'], keyShare: 0.45, permitShare: 0.8, risk: 2, emission: 'woodPanel', names: ['木业有限公司', '人造板有限公司', '林业有限公司'], violations: [['EXCEEDING_STANDARDS', 3], ['PERMIT_CONDITIONS', 2], ['MONITORING_EQUIPMENT_NOT_OPERATED', 1], ['NOISE', 2], ['SOLID_WASTE', 1], ['OTHER', 2]], other: 'voc' },
  { code: 'C2022', label: '纤维板制造', group: 'wood', weight: 8, entity: E91, townships: ['森工街道', '大湖街道', '苇沙河镇'], keyShare: 0.6, permitShare: 0.9, risk: 2.2, emission: 'woodPanel', names: ['林产工业有限公司', '人造板有限公司', '木业有限公司'], violations: [['EXCEEDING_STANDARDS', 3], ['PERMIT_CONDITIONS', 2], ['MONITORING_EQUIPMENT_NOT_OPERATED', 1], ['NOISE', 1], ['OTHER', 2]], other: 'voc' },
  { code: 'C2034', label: '木地板制造', group: 'wood', weight: 12, entity: E91, townships: ['森工街道', '大湖街道', '兴隆街道'], keyShare: 0.05, permitShare: 0.4, risk: 1.2, emission: null, names: ['木业有限公司', '地板有限公司'], violations: [['OTHER', 3], ['NOISE', 2], ['PERMIT_CONDITIONS', 1]], other: 'voc' },
  { code: 'C2032', label: '木门窗制造', group: 'wood', weight: 16, entity: [['91', 2], ['92', 1]], townships: null, keyShare: 0, permitShare: 0.2, risk: 0.9, emission: null, names: ['木业有限公司', '门窗厂', '实木门有限公司'], violations: [['OTHER', 3], ['NOISE', 2]], other: 'voc' },
  { code: 'C2110', label: '木质家具制造', group: 'wood', weight: 18, entity: [['91', 2], ['92', 1]], townships: null, keyShare: 0.02, permitShare: 0.3, risk: 1, emission: null, names: ['家具有限公司', '家具厂', '木制品有限公司'], violations: [['OTHER', 3], ['NOISE', 1], ['HAZARDOUS_WASTE_MANAGEMENT', 1]], other: 'voc' },
  // Ginseng and traditional medicine (C27), mountain foods (C13, C14), wine and mineral water (C15).
  { code: 'C2730', label: '中药饮片加工', group: 'medicine', weight: 34, entity: E91, townships: ['花山镇', '闹枝镇', '蚂蚁河乡', '苇沙河镇', '桦树镇', '建国街道'], keyShare: 0.08, permitShare: 0.5, risk: 0.9, emission: 'pharma', names: ['参业有限公司', '中药饮片有限公司', '人参制品有限公司', '药材有限公司'], violations: [['EXCEEDING_STANDARDS', 2], ['PERMIT_CONDITIONS', 2], ['HAZARDOUS_WASTE_MANAGEMENT', 1], ['SOLID_WASTE', 1], ['OTHER', 1]], other: 'generic' },
  { code: 'C2740', label: '中成药生产', group: 'medicine', weight: 10, entity: E91, townships: ['建国街道', '兴隆街道', '新市街道', '花山镇'], keyShare: 0.5, permitShare: 0.9, risk: 1.6, emission: 'pharma', names: ['药业有限公司', '制药有限公司', '药业股份有限公司'], violations: [['EXCEEDING_STANDARDS', 3], ['HAZARDOUS_WASTE_MANAGEMENT', 2], ['PERMIT_CONDITIONS', 2], ['MONITORING_EQUIPMENT_NOT_OPERATED', 1], ['DISCLOSURE_FAILURE', 1], ['OTHER', 1]], other: 'voc' },
  { code: 'C1492', label: '保健食品制造', group: 'food', weight: 26, entity: E91, townships: ['花山镇', '建国街道', '新市街道', '闹枝镇', '桦树镇'], keyShare: 0.04, permitShare: 0.4, risk: 0.8, emission: 'foodWater', names: ['人参食品有限公司', '生物科技有限公司', '参业食品有限公司'], violations: [['EXCEEDING_STANDARDS', 2], ['PERMIT_CONDITIONS', 2], ['SOLID_WASTE', 1], ['OTHER', 1]], other: 'generic' },
  { code: 'C1373', label: '水果和坚果加工', group: 'food', weight: 22, entity: [['91', 3], ['93', 1]], townships: ['花山镇', '苇沙河镇', '桦树镇', '蚂蚁河乡', '四道沟镇'], keyShare: 0.02, permitShare: 0.3, risk: 0.7, emission: 'foodWater', names: ['蓝莓食品有限公司', '山特产品有限公司', '食品有限公司', '松籽加工厂'], violations: [['EXCEEDING_STANDARDS', 2], ['PERMIT_CONDITIONS', 1], ['NOISE', 1], ['OTHER', 1]], other: 'generic' },
  { code: 'C1372', label: '食用菌加工', group: 'food', weight: 16, entity: [['91', 2], ['93', 1]], townships: ['闹枝镇', '蚂蚁河乡', '桦树镇', '苇沙河镇'], keyShare: 0, permitShare: 0.2, risk: 0.6, emission: null, names: ['木耳食品有限公司', '菌业有限公司', '山珍食品有限公司'], violations: [['SOLID_WASTE', 2], ['OTHER', 1]], other: 'generic' },
  { code: 'C1351', label: '牲畜屠宰', group: 'food', weight: 5, entity: E91, townships: ['新市街道', '大湖街道', '兴隆街道'], keyShare: 0.6, permitShare: 1, risk: 2, emission: 'slaughter', names: ['肉类加工有限公司', '生猪屠宰场', '食品有限公司'], violations: [['EXCEEDING_STANDARDS', 4], ['PERMIT_CONDITIONS', 2], ['SOLID_WASTE', 1], ['OTHER', 1]], other: 'generic' },
  { code: 'C1515', label: '葡萄酒制造', group: 'beverage', weight: 7, entity: E91, townships: ['花山镇', '桦树镇', '苇沙河镇'], keyShare: 0.3, permitShare: 0.8, risk: 1.2, emission: 'foodWater', names: ['山葡萄酒业有限公司', '酒业有限公司'], violations: [['EXCEEDING_STANDARDS', 3], ['PERMIT_CONDITIONS', 2], ['SOLID_WASTE', 1]], other: 'generic' },
  { code: 'C1522', label: '瓶(罐)装饮用水制造', group: 'beverage', weight: 16, entity: E91, townships: ['蚂蚁河乡', '花山镇', '桦树镇', '闹枝镇', '四道沟镇'], keyShare: 0.1, permitShare: 0.5, risk: 0.6, emission: 'foodWater', names: ['矿泉水有限公司', '矿泉饮品有限公司', '长白山泉饮品有限公司'], violations: [['PERMIT_CONDITIONS', 2], ['EXCEEDING_STANDARDS', 1], ['ECOLOGICAL_RED_LINE', 0.5], ['OTHER', 1]], other: 'generic' },
  // Power and heat (D44), sewage (D46).
  { code: 'D4413', label: '水力发电', group: 'hydro', weight: 14, entity: E91, townships: ['四道沟镇', '六道沟镇', '苇沙河镇', '花山镇', '闹枝镇', '蚂蚁河乡'], keyShare: 0, permitShare: 0, risk: 0.5, emission: null, names: ['水电站', '水力发电有限公司', '水电开发有限公司'], violations: [['HAZARDOUS_WASTE_MANAGEMENT', 2], ['OTHER', 1]], other: 'dust' },
  { code: 'D4412', label: '热电联产', group: 'power', weight: 2, entity: E91, townships: ['大湖街道', '兴隆街道'], keyShare: 1, permitShare: 1, risk: 2.5, emission: 'powerPlant', monthlyReports: true, names: ['热电有限公司', '热电联产有限公司'], violations: [['EXCEEDING_STANDARDS', 4], ['MONITORING_EQUIPMENT_NOT_OPERATED', 3], ['PERMIT_CONDITIONS', 2], ['DISCLOSURE_FAILURE', 1], ['SOLID_WASTE', 1], ['OTHER', 1]], other: 'dust' },
  { code: 'D4430', label: '热力生产和供应', group: 'power', weight: 12, entity: E91, townships: URBAN, keyShare: 0.7, permitShare: 1, risk: 2.2, emission: 'coalBoiler', names: ['供热有限公司', '热力有限公司', '供热站'], violations: [['EXCEEDING_STANDARDS', 4], ['MONITORING_EQUIPMENT_NOT_OPERATED', 3], ['PERMIT_CONDITIONS', 2], ['SOLID_WASTE', 1], ['OTHER', 2]], other: 'dust' },
  { code: 'D4620', label: '污水处理及其再生利用', group: 'sewage', weight: 3, entity: E91, townships: ['大湖街道', '新市街道', '六道沟镇'], keyShare: 1, permitShare: 1, risk: 2, emission: 'sewage', monthlyReports: true, names: ['污水处理有限公司', '水务有限公司'], violations: [['EXCEEDING_STANDARDS', 4], ['MONITORING_EQUIPMENT_NOT_OPERATED', 2], ['PERMIT_CONDITIONS', 1], ['DISCLOSURE_FAILURE', 1], ['SOLID_WASTE', 1]], other: 'generic' },
  // Building materials (C30).
  { code: 'C3011', label: '水泥制造', group: 'building', weight: 2, entity: E91, townships: ['大栗子街道', '六道沟镇'], keyShare: 1, permitShare: 1, risk: 2.5, emission: 'cementGrinding', monthlyReports: true, names: ['水泥有限公司', '建材有限公司'], violations: [['EXCEEDING_STANDARDS', 3], ['OTHER', 3], ['MONITORING_EQUIPMENT_NOT_OPERATED', 2], ['PERMIT_CONDITIONS', 1], ['NOISE', 1]], other: 'dust' },
  { code: 'C3021', label: '水泥制品制造', group: 'building', weight: 18, entity: [['91', 3], ['92', 1]], townships: null, keyShare: 0, permitShare: 0.3, risk: 1.2, emission: null, names: ['建材有限公司', '水泥制品厂', '商品混凝土有限公司'], violations: [['OTHER', 3], ['NOISE', 2], ['PERMIT_CONDITIONS', 1]], other: 'dust' },
  { code: 'C3031', label: '粘土砖瓦及建筑砌块制造', group: 'building', weight: 20, entity: [['91', 3], ['92', 1]], townships: ['苇沙河镇', '四道沟镇', '桦树镇', '六道沟镇', '大湖街道'], keyShare: 0.3, permitShare: 0.8, risk: 2, emission: 'kiln', names: ['砖厂', '新型建材有限公司', '页岩砖厂'], violations: [['EXCEEDING_STANDARDS', 3], ['OTHER', 3], ['NOISE', 1], ['NO_PERMIT', 1], ['PERMIT_CONDITIONS', 1]], other: 'dust' },
  { code: 'C3099', label: '其他非金属矿物制品制造', group: 'building', weight: 14, entity: E91, townships: ['六道沟镇', '四道沟镇', '大栗子街道', '花山镇'], keyShare: 0.5, permitShare: 0.9, risk: 2, emission: 'kiln', names: ['硅藻土制品有限公司', '新材料有限公司', '助滤剂有限公司'], violations: [['EXCEEDING_STANDARDS', 3], ['OTHER', 2], ['MONITORING_EQUIPMENT_NOT_OPERATED', 1], ['PERMIT_CONDITIONS', 2], ['SOLID_WASTE', 1]], other: 'dust' },
  { code: 'C3032', label: '建筑用石加工', group: 'building', weight: 12, entity: [['91', 2], ['92', 1]], townships: null, keyShare: 0, permitShare: 0.2, risk: 1.2, emission: null, names: ['石材有限公司', '石材加工厂'], violations: [['OTHER', 3], ['NOISE', 2], ['SOLID_WASTE', 1]], other: 'dust' },
  // Services and the rest of a county-level city.
  { code: 'Q8411', label: '综合医院', group: 'hospital', weight: 6, entity: [['91', 1]], townships: URBAN, keyShare: 0.5, permitShare: 1, risk: 1.2, emission: 'hospital', names: ['医院有限公司', '康复医院有限公司'], violations: [['HAZARDOUS_WASTE_MANAGEMENT', 4], ['EXCEEDING_STANDARDS', 2], ['PERMIT_CONDITIONS', 1]], other: 'generic' },
  { code: 'O8111', label: '汽车修理与维护', group: 'auto', weight: 70, entity: [['91', 1], ['92', 2]], townships: null, keyShare: 0, permitShare: 0.15, risk: 0.8, emission: null, names: ['汽车维修有限公司', '汽车修理厂', '汽车服务有限公司', '汽修部'], violations: [['HAZARDOUS_WASTE_MANAGEMENT', 4], ['OTHER', 2], ['NOISE', 1], ['NO_PERMIT', 0.5]], other: 'voc' },
  { code: 'F5265', label: '机动车燃油零售', group: 'fuel', weight: 24, entity: E91, townships: null, keyShare: 0, permitShare: 0, risk: 0.7, emission: null, names: ['加油站有限公司', '石油销售有限公司', '能源有限公司'], violations: [['OTHER', 4], ['HAZARDOUS_WASTE_MANAGEMENT', 1]], other: 'vapour' },
  { code: 'H6210', label: '正餐服务', group: 'catering', weight: 240, entity: [['91', 1], ['92', 4]], townships: null, keyShare: 0, permitShare: 0, risk: 0.25, emission: null, names: ['饭店', '酒店有限公司', '餐饮有限公司', '农家菜馆', '烧烤店', '朝鲜族风味饭店'], violations: [['OTHER', 4], ['NOISE', 2]], other: 'fumes' },
  { code: 'H6110', label: '旅游饭店', group: 'catering', weight: 40, entity: [['91', 3], ['92', 1]], townships: null, keyShare: 0, permitShare: 0, risk: 0.2, emission: null, names: ['宾馆有限公司', '酒店管理有限公司', '度假村有限公司', '旅店'], violations: [['OTHER', 3], ['NOISE', 1]], other: 'fumes' },
  { code: 'E4710', label: '住宅房屋建筑', group: 'construction', weight: 50, entity: E91, townships: null, keyShare: 0, permitShare: 0, risk: 0.6, emission: null, names: ['建筑工程有限公司', '建设有限公司', '建筑安装有限公司'], violations: [['OTHER', 4], ['SOLID_WASTE', 1]], other: 'site-dust' },
  { code: 'K7010', label: '房地产开发经营', group: 'trade', weight: 30, entity: E91, townships: URBAN, keyShare: 0, permitShare: 0, risk: 0.15, emission: null, names: ['房地产开发有限公司', '置业有限公司'], violations: [['OTHER', 1]], other: 'site-dust' },
  { code: 'F5212', label: '超级市场零售', group: 'trade', weight: 90, entity: [['91', 2], ['92', 3]], townships: null, keyShare: 0, permitShare: 0, risk: 0.05, emission: null, names: ['超市', '商贸有限公司', '购物中心有限公司', '便民超市'], violations: [['OTHER', 1]], other: 'generic' },
  { code: 'F5174', label: '五金产品批发', group: 'trade', weight: 50, entity: [['91', 2], ['92', 2]], townships: null, keyShare: 0, permitShare: 0, risk: 0.05, emission: null, names: ['商贸有限公司', '五金建材商店', '经贸有限公司'], violations: [['OTHER', 1]], other: 'generic' },
  { code: 'G5431', label: '普通货物道路运输', group: 'trade', weight: 40, entity: E91, townships: null, keyShare: 0, permitShare: 0, risk: 0.2, emission: null, names: ['运输有限公司', '物流有限公司'], violations: [['OTHER', 1]], other: 'generic' },
  { code: 'N78', label: '公共设施管理业(景区)', group: 'trade', weight: 16, entity: E91, townships: null, keyShare: 0, permitShare: 0, risk: 0.1, emission: null, names: ['旅游开发有限公司', '文化旅游有限公司'], violations: [['OTHER', 1], ['ECOLOGICAL_RED_LINE', 0.5]], other: 'generic' },
  { code: 'A0171', label: '中草药种植', group: 'agriculture', weight: 60, entity: [['93', 3], ['91', 1]], townships: ['花山镇', '闹枝镇', '蚂蚁河乡', '苇沙河镇', '桦树镇', '四道沟镇', '六道沟镇'], keyShare: 0, permitShare: 0, risk: 0.15, emission: null, names: ['人参种植专业合作社', '中药材种植专业合作社', '林下参种植专业合作社', '五味子种植专业合作社', '参业有限公司', '中药材种植有限公司'], violations: [['OTHER', 1], ['ECOLOGICAL_RED_LINE', 1]], other: 'generic' },
  { code: 'A0313', label: '猪的饲养', group: 'agriculture', weight: 16, entity: [['93', 1], ['91', 1]], townships: ['苇沙河镇', '桦树镇', '四道沟镇', '花山镇'], keyShare: 0, permitShare: 0.3, risk: 0.8, emission: null, names: ['生猪养殖专业合作社', '牧业有限公司', '生猪养殖场'], violations: [['OTHER', 2], ['SOLID_WASTE', 1], ['NO_PERMIT', 1]], other: 'manure' },
];

export interface SeriesSpec {
  outlet: string;
  pollutant: string;
  unit: EmissionUnit;
  limit: number;
  /** Key units measure it with an online automatic monitor (monthly means). */
  online: boolean;
  decimals: number;
}

const air = (outlet: string, pm: number, so2: number | null, nox: number | null, online = true): SeriesSpec[] => [
  { outlet, pollutant: 'PM', unit: 'mg/m3', limit: pm, online, decimals: 1 },
  ...(so2 === null ? [] : [{ outlet, pollutant: 'SO2', unit: 'mg/m3' as const, limit: so2, online, decimals: 1 }]),
  ...(nox === null ? [] : [{ outlet, pollutant: 'NOx', unit: 'mg/m3' as const, limit: nox, online, decimals: 1 }]),
];
const water = (outlet: string, cod: number, nh3n: number, online = true): SeriesSpec[] => [
  { outlet, pollutant: 'COD', unit: 'mg/L', limit: cod, online, decimals: 1 },
  { outlet, pollutant: 'NH3-N', unit: 'mg/L', limit: nh3n, online, decimals: 2 },
];
const noise = (limit = 65): SeriesSpec => ({ outlet: 'ZS01', pollutant: 'noise', unit: 'dB(A)', limit, online: false, decimals: 1 });

/**
 * Outlets and limits by kind of plant. Limits follow the national standards: boilers GB 13271-2014
 * (50 / 300 / 300 for new coal boilers), thermal power GB 13223-2011, cement GB 4915-2013, bricks
 * GB 29620-2013, iron ore GB 28661-2012, copper GB 25467-2010, pharmaceuticals (traditional Chinese
 * medicine) GB 21906-2008, integrated wastewater GB 8978-1996 class 1, municipal sewage GB 18918-2002
 * class 1A, hospitals GB 18466-2005, industrial boundary noise GB 12348-2008 class 3 (daytime).
 */
export const EMISSION_PROFILES: Record<EmissionProfileName, readonly SeriesSpec[]> = {
  coalBoiler: [...air('DA001', 50, 300, 300), noise(60)],
  powerPlant: [...air('DA001', 30, 200, 200), ...air('DA002', 30, 200, 200), ...water('DW001', 100, 15, false), noise()],
  kiln: [...air('DA001', 30, 300, 200), noise()],
  cementGrinding: [...air('DA001', 20, null, null), ...air('DA002', 20, null, null, false), noise()],
  ironOre: [...air('DA001', 20, null, null, false), ...water('DW001', 70, 15), noise()],
  copperOre: [...air('DA001', 80, null, null, false), ...water('DW001', 60, 8), noise()],
  goldOre: [...water('DW001', 60, 8), noise()],
  woodPanel: [...air('DA001', 50, 300, 300), { outlet: 'DA002', pollutant: 'PM', unit: 'mg/m3', limit: 120, online: false, decimals: 1 }, noise()],
  pharma: [...water('DW001', 100, 8), ...air('DA001', 50, 300, 300, false)],
  foodWater: [...water('DW001', 100, 15)],
  slaughter: [...water('DW001', 80, 15), noise(60)],
  sewage: [...water('DW001', 50, 5)],
  hospital: [...water('DW001', 60, 15)],
};

export const POLLUTANT_LABELS: Record<string, string> = {
  PM: '颗粒物',
  SO2: '二氧化硫',
  NOx: '氮氧化物',
  COD: '化学需氧量',
  'NH3-N': '氨氮',
  noise: '厂界噪声',
};

/** Trade names (字号): two characters from these, or one of the local ones. */
export const TRADE_NAME_FIRST = '鸿宏鑫金兴盛华泰恒永福瑞祥德嘉润天东长松林森江源丰隆达通昌旭顺利佳和益信诚海龙凯安广万宝富吉';
export const TRADE_NAME_SECOND = '达盛源泰丰兴昌隆发通祥瑞和鑫宇森林江海成信旺茂远升润嘉利顺安康宁华新业强鹏辉';
export const LOCAL_TRADE_NAMES = [
  '长白', '鸭绿江', '鸭江', '江源', '老岭', '猫耳山', '花山', '珍珠门', '松岭', '白山', '临江', '宝山',
  '大栗子', '四保', '帽儿山', '五道沟', '蚂蚁河', '闹枝', '桦树', '苇沙河', '长白山', '林海', '参乡', '江城',
];

/** Common surnames of Jilin (王 李 张 刘 most; 于 姜 孙 more than the national average). */
export const SURNAMES: readonly (readonly [string, number])[] = [
  ['王', 9], ['李', 9], ['张', 8], ['刘', 8], ['于', 4], ['赵', 4], ['孙', 4], ['杨', 3], ['陈', 3], ['姜', 3],
  ['徐', 2], ['高', 2], ['马', 2], ['吴', 2], ['郭', 2], ['曲', 1.5], ['朱', 1.5], ['邵', 1], ['周', 1.5], ['宋', 1.5],
  ['韩', 1.5], ['金', 1.5], ['崔', 1.2], ['朴', 1], ['许', 1], ['林', 1], ['谢', 0.8], ['郑', 1], ['梁', 0.8], ['董', 1],
  ['曹', 0.8], ['袁', 0.6], ['冯', 0.8], ['田', 0.8], ['潘', 0.6], ['丁', 0.8], ['吕', 0.8], ['谭', 0.5], ['贾', 0.6], ['邹', 0.5],
  ['侯', 0.6], ['白', 0.6], ['范', 0.6], ['石', 0.6], ['苏', 0.6], ['胡', 0.8], ['孟', 0.6], ['秦', 0.5], ['尹', 0.5], ['付', 0.6],
];
export const GIVEN_NAME_CHARS =
  '伟刚勇毅俊峰强军平东文辉力明永健志义兴良海山波宁贵福生龙国胜学祥才发武新利清飞彬富顺杰涛成康光天达安岩中茂林和博' +
  '振庆磊民友江超浩亮宏斌栋维鹏泽建家德秀娟英华慧美娜静淑惠玉萍红玲芬芳燕春菊兰凤洁梅琳云莲雪荣爱霞艳丽敏杰丹颖';

export const AUDITORS = [
  '吉林省清洁生产审核中心',
  '白山市环境保护科学研究所',
  '吉林省环科清洁生产技术咨询有限公司',
  '长春绿源环境咨询有限公司',
  '吉林省华清环境工程技术有限公司',
];
