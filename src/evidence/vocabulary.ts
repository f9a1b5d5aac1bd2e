/**
 * Closed lists the evidence uses. The rule files refer to these codes, so they are the
 * contract between the bureau's records and its rules; the 2013 national measures
 * (环发〔2013〕150号) and the 2016 blacklist memorandum name the kinds (see DOMAIN.md).
 */

export const VIOLATION_TYPES = [
  'EXCEEDING_STANDARDS', // 超标排放
  'EXCEEDING_TOTAL_LOAD', // 超总量排放
  'NO_PERMIT', // 无证或证照失效排污
  'PERMIT_CONDITIONS', // 未按排污许可证要求排污
  'FALSIFIED_MONITORING_DATA', // 篡改、伪造监测数据
  'BYPASS_OR_HIDDEN_DISCHARGE', // 暗管、渗井、渗坑、偷排、旁路
  'MONITORING_EQUIPMENT_NOT_OPERATED', // 不正常运行防治污染设施或监测设备
  'REFUSING_INSPECTION', // 拒绝、阻挠现场检查
  'ILLEGAL_HAZARDOUS_WASTE', // 非法处置危险废物或交无资质单位
  'HAZARDOUS_WASTE_MANAGEMENT', // 危险废物管理不规范
  'SOLID_WASTE', // 一般固体废物违法
  'NOISE', // 噪声超标
  'EIA_NOT_APPROVED', // 未批先建
  'OPERATING_BEFORE_ACCEPTANCE', // 环保设施未建成或未验收即投产
  'MAJOR_CHANGE_WITHOUT_APPROVAL', // 重大变动未重新报批
  'HEAVY_POLLUTION_WEATHER_NONCOMPLIANCE', // 未落实重污染天气应急措施
  'OVERDUE_RECTIFICATION', // 挂牌督办逾期未完成
  'ENVIRONMENTAL_INCIDENT', // 突发环境事件
  'ECOLOGICAL_RED_LINE', // 违反生态保护红线
  'DISCLOSURE_FAILURE', // 未依法公开环境信息
  'OTHER',
] as const;
export type ViolationType = (typeof VIOLATION_TYPES)[number];

/** 突发环境事件分级: 一般 / 较大 / 重大 / 特别重大. */
export const INCIDENT_SEVERITIES = ['GENERAL', 'LARGER', 'MAJOR', 'EXTRAORDINARY'] as const;
export type IncidentSeverity = (typeof INCIDENT_SEVERITIES)[number];

export const PENALTY_MEASURES = [
  'WARNING', // 警告
  'CORRECTION_ORDER', // 责令改正
  'FINE', // 罚款
  'DAILY_CONTINUOUS_PENALTY', // 按日连续处罚
  'PRODUCTION_RESTRICTION', // 限制生产
  'PRODUCTION_SUSPENSION', // 停产整治
  'SEAL_UP_SEIZURE', // 查封、扣押
  'PERMIT_REVOKED', // 吊销许可证
  'SHUTDOWN_ORDER', // 责令停业、关闭
  'SUPERVISED_RECTIFICATION', // 挂牌督办
  'ADMINISTRATIVE_DETENTION', // 行政拘留
  'CRIMINAL_REFERRAL', // 移送司法机关
] as const;
export type PenaltyMeasure = (typeof PENALTY_MEASURES)[number];

export const MONITORING_SOURCES = ['ONLINE_AUTOMATIC', 'MANUAL', 'SUPERVISORY'] as const;
export type MonitoringSource = (typeof MONITORING_SOURCES)[number];

/** Units the monitoring exports use; dB(A) is compared by difference, the rest by ratio. */
export const EMISSION_UNITS = ['mg/m3', 'mg/L', 'ug/m3', 'kg', 't', 'dB(A)', 'pH', 'CFU/L', 'mg/kg'] as const;
export type EmissionUnit = (typeof EMISSION_UNITS)[number];

export const AUDIT_LEVELS = ['I', 'II', 'III'] as const;
export type AuditLevel = (typeof AUDIT_LEVELS)[number];

export const DISCLOSURE_STATUSES = ['COMPLETE', 'INCOMPLETE', 'LATE', 'NOT_DISCLOSED'] as const;
export type DisclosureStatus = (typeof DISCLOSURE_STATUSES)[number];

export const COMPLAINT_CHANNELS = ['HOTLINE', 'ONLINE', 'NGO', 'MEDIA', 'OTHER'] as const;
export type ComplaintChannel = (typeof COMPLAINT_CHANNELS)[number];

export const PERMIT_REPORT_TYPES = ['ANNUAL', 'QUARTERLY', 'MONTHLY'] as const;
export type PermitReportType = (typeof PERMIT_REPORT_TYPES)[number];
