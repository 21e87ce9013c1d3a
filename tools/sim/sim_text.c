/* sim_text: review comments and case notes (plain Chinese, as citizens and staff write). */
#include "sim_text.h"

#include <stdio.h>
#include <string.h>

#include "event.h"

#define SIM_NELEM(a) (sizeof(a) / sizeof((a)[0]))

static const char *const sim_good[] = {
    "办事效率很高，工作人员很耐心",   "一次就办好了，点赞",
    "窗口服务态度很好，讲解很清楚",   "材料准备一次性告知，不用来回跑",
    "取号到办结不到二十分钟，很满意", "工作人员主动帮忙填表，谢谢",
    "大厅环境好，引导员很热情",       "线上预约后直接办理，很方便",
};

static const char *const sim_fair[] = {
    "等候时间有点长",
    "材料要求没有提前说清楚",
    "叫号有点慢，其他还可以",
    "自助机不太会用，希望多些引导",
    "停车不方便",
};

static const char *const sim_bad[] = {
    "排队两个多小时才轮到，窗口只开了两个",
    "工作人员态度冷淡，问什么都说不清楚",
    "让我跑了三趟还是没办成，每次说法都不一样",
    "过号了也没人提醒，只能重新取号",
    "材料明明齐全还说要补正，推来推去",
    "中午窗口全关了，等了一个多小时",
    "系统一直说故障，白跑一趟",
};

/* Templates that carry a lexicon term (%s), by lexicon category; the last one fits any. */
static const char *sim_term_template(sim_rng *r, const char *category)
{
    if (category && strcmp(category, "人身安全") == 0) return "跑了好几趟都没办成，真是被逼得想%s";
    if (category && strcmp(category, "作风") == 0)
        return sim_rng_chance(r, 0.5) ? "窗口人员%s，请领导管一管" : "办事太难了，%s，必须给个说法";
    if (category && strcmp(category, "群体性") == 0) return "小区好多人都是这个情况，大家说要%s";
    return "反映的问题涉及“%s”，一直没人处理，请尽快回复";
}

int sim_text_comment(sim_rng *r, int level, const char *term, const char *category,
                     const char *phone, char *out, size_t len)
{
    const char *base = NULL;
    out[0] = '\0';
    if (level <= 2) {
        if (term) {
            snprintf(out, len, sim_term_template(r, category), term);
        } else {
            base = sim_bad[sim_rng_int(r, SIM_NELEM(sim_bad))];
        }
    } else if (level == 3) {
        if (sim_rng_chance(r, 0.6)) base = sim_fair[sim_rng_int(r, SIM_NELEM(sim_fair))];
    } else {
        if (sim_rng_chance(r, 0.25)) base = sim_good[sim_rng_int(r, SIM_NELEM(sim_good))];
    }
    if (base) snprintf(out, len, "%s", base);
    if (phone && out[0]) {
        size_t n = strlen(out);
        snprintf(out + n, len - n, "，请回电%s", phone);
    } else if (phone) {
        snprintf(out, len, "请回电%s", phone);
    }
    return out[0] ? 0 : -1;
}

const char *sim_text_case_note(sim_rng *r, int state)
{
    static const char *const assigned[] = {"已分派至窗口所属科室负责人", "已转业务科室核查"};
    static const char *const contacted[] = {"已电话联系当事人，了解诉求",
                                            "已回访当事人，说明办理要求"};
    static const char *const rectifying[] = {
        "整改中：加强窗口业务培训", "整改中：调整午间窗口值守安排", "整改中：一次性告知清单上墙"};
    static const char *const closed[] = {"已办结，当事人表示认可", "整改完成，已回访"};
    switch (state) {
    case EV_CASE_ASSIGNED:
        return assigned[sim_rng_int(r, SIM_NELEM(assigned))];
    case EV_CASE_CONTACTED:
        return contacted[sim_rng_int(r, SIM_NELEM(contacted))];
    case EV_CASE_RECTIFYING:
        return rectifying[sim_rng_int(r, SIM_NELEM(rectifying))];
    default:
        return closed[sim_rng_int(r, SIM_NELEM(closed))];
    }
}

void sim_text_phone(sim_rng *r, char *out)
{
    static const char second[] = {'3', '5', '8', '9'};
    out[0] = '1';
    out[1] = second[sim_rng_int(r, 4)];
    for (int i = 2; i < 11; i++)
        out[i] = (char)('0' + sim_rng_int(r, 10));
    out[11] = '\0';
}
