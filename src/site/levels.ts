/** How the public site names and colours the levels (五牌). Colours pass WCAG AA against white text where used. */
export const LEVEL_ORDER = ['GREEN', 'BLUE', 'YELLOW', 'RED', 'BLACK'] as const;

export const LEVEL_INFO: Record<string, { zh: string; en: string; color: string; text: string }> = {
  GREEN: { zh: '环保诚信', en: 'Trustworthy (green)', color: '#2e7d32', text: '#fff' },
  BLUE: { zh: '环保良好', en: 'Good (blue)', color: '#1565c0', text: '#fff' },
  YELLOW: { zh: '环保警示', en: 'Warning (yellow)', color: '#f2b705', text: '#000' },
  RED: { zh: '环保不良', en: 'Bad (red)', color: '#c62828', text: '#fff' },
  BLACK: { zh: '环保严重失信', en: 'Seriously dishonest (black)', color: '#212121', text: '#fff' },
};

export const NOT_RATED = { zh: '未评价', en: 'Not rated', color: '#9e9e9e', text: '#000' };

export const levelInfo = (level: string | null) => (level ? (LEVEL_INFO[level] ?? { ...NOT_RATED, zh: level, en: level }) : NOT_RATED);

/** Position in the order, worse is higher; unknown levels sort last. */
export const levelRank = (level: string | null) => (level === null ? -1 : (LEVEL_ORDER as readonly string[]).indexOf(level));

/** GB/T 4754-2017 sections (门类). */
export const INDUSTRY_SECTIONS: Record<string, string> = {
  A: '农、林、牧、渔业 Agriculture',
  B: '采矿业 Mining',
  C: '制造业 Manufacturing',
  D: '电力、热力、燃气及水 Utilities',
  E: '建筑业 Construction',
  F: '批发和零售业 Trade',
  G: '交通运输、仓储和邮政 Transport',
  H: '住宿和餐饮业 Hotels & catering',
  I: '信息技术服务 IT services',
  J: '金融业 Finance',
  K: '房地产业 Real estate',
  L: '租赁和商务服务 Business services',
  M: '科学研究和技术服务 Research',
  N: '水利、环境和公共设施 Water & environment',
  O: '居民服务 Household services',
  P: '教育 Education',
  Q: '卫生和社会工作 Health',
  R: '文化、体育和娱乐 Culture & sport',
  S: '公共管理 Public administration',
  T: '国际组织 International organisations',
};

export const industrySection = (industry: string) => INDUSTRY_SECTIONS[industry.charAt(0)] ?? industry.charAt(0);
